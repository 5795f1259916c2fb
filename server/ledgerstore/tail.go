package ledgerstore

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// A BuntDB file is a list of RESP commands ("*3\r\n$3\r\nset\r\n$<n>\r\n<key>
// \r\n$<n>\r\n<value>\r\n", and del), appended one transaction at a time
// with one write(2) and never rewritten in place (the store turns BuntDB's
// shrinking off). What a crash or a power loss can do to such a file is
// limited to its end:
//
//   - cut it: the file ends inside the last write (possibly inside the last
//     command, possibly between two commands of one transaction);
//   - zero-fill it: the file's size was extended but some of the blocks
//     were never written, so the file ends with zero bytes, from some point
//     inside the last write (or even earlier, when the disk lost a whole
//     page that held earlier, fsynced commands).
//
// BuntDB's own load (DB.load, v1.3.0) keeps every complete command and
// truncates a file that ends mid-command, but it handles the zero-filled
// case badly: it skips zero bytes only between commands, so a command whose
// value was zeroed makes it refuse the whole file (ErrInvalid: the value is
// not followed by "\r\n"), and it does not count skipped zero bytes in the
// offset it then writes at, so zero bytes between commands followed by a
// cut command would make it truncate, and later overwrite, the wrong bytes.
//
// repairTail therefore reads the file before BuntDB does and cuts off a
// torn tail itself, and only a provably torn one: the bytes after the last
// complete command must be a prefix of one well-formed command followed by
// nothing but zero bytes (either part may be empty). That is what a cut or
// a zero-filled write leaves, and garbage rarely is. Anything else — bytes
// that are not a prefix of a command, zero bytes between two commands — is
// not the tail of the last write, and the store refuses the file
// (LEDGER_020) naming the byte offset, without changing it. Whether the
// commands that remain make a consistent log is checked afterwards, on the
// store's own terms (see load).

// fileTail is what repairTail learnt about the file.
type fileTail struct {
	cut     int64 // bytes removed from the end (0 when none)
	cutFrom int64 // offset the file was cut at
	// complete is where the complete commands at the start of the file
	// end, also when what follows them is damage (the error says so)
	complete int64
	lastKey  string // key of the last command, when it is a set
	// the last two values set for meta:checkpoint, the newest first (a del
	// or flushdb of the key forgets them)
	checkpoints []string
	// the first batch row deleted after the file was marked store format 3
	// (which never deletes a row), or ""
	deletedRow string
	// the batch row of the highest first index deleted while the file was
	// marked store format 4 (which deletes only sealed rows), or ""
	lastSealedDelete      string
	lastSealedDeleteFirst uint64
}

// respScanner reads RESP commands from a file, skipping the values it does
// not need without reading them.
type respScanner struct {
	f    *os.File
	r    *bufio.Reader
	off  int64 // file offset of the next byte r returns
	end  int64 // where the scanned section ends
	torn bool  // set when the section ended inside a command
}

func newRespScanner(f *os.File, from, end int64) *respScanner {
	sc := &respScanner{f: f, r: bufio.NewReaderSize(nil, 64<<10), end: end}
	sc.seek(from)
	return sc
}

func (sc *respScanner) seek(off int64) {
	sc.off = off
	sc.r.Reset(io.NewSectionReader(sc.f, off, sc.end-off))
}

// errTorn is returned when the section ends inside a command.
var errTorn = errors.New("the file ends inside a command")

// malformed is the error of bytes that are not (the start of) a command
// BuntDB loads. Other errors of the scanner are read errors.
type malformed struct{ msg string }

func (e *malformed) Error() string { return e.msg }

func malformedf(format string, args ...any) error {
	return &malformed{fmt.Sprintf(format, args...)}
}

func (sc *respScanner) eof(err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		sc.torn = true
		return errTorn
	}
	return err
}

// number reads a "<prefix><decimal>\r\n" line the way BuntDB does.
func (sc *respScanner) number(prefix byte) (int, error) {
	c, err := sc.r.ReadByte()
	if err != nil {
		return 0, sc.eof(err)
	}
	sc.off++
	if c != prefix {
		return 0, malformedf("expected %q, found byte 0x%02x", prefix, c)
	}
	n, digits := 0, 0
	for {
		c, err := sc.r.ReadByte()
		if err != nil {
			return 0, sc.eof(err)
		}
		sc.off++
		switch {
		case c >= '0' && c <= '9' && digits < 10:
			n = n*10 + int(c-'0')
			digits++
			continue
		case c == '\r' && digits > 0:
			c, err := sc.r.ReadByte()
			if err != nil {
				return 0, sc.eof(err)
			}
			sc.off++
			if c != '\n' {
				return 0, malformedf("a %q line is not ended by \\r\\n", prefix)
			}
			return n, nil
		}
		return 0, malformedf("a %q line holds byte 0x%02x", prefix, c)
	}
}

// maxKept caps the parts the scanner keeps: the store's keys and
// checkpoints are far shorter, and a longer one is no key it looks for.
const maxKept = 64 << 10

// part reads one "$<n>\r\n<bytes>\r\n" part; it returns the bytes when
// keep (and they are at most maxKept long), and skips them otherwise.
func (sc *respScanner) part(keep bool) (string, error) {
	n, err := sc.number('$')
	if err != nil {
		return "", err
	}
	var v []byte
	if keep && n <= maxKept {
		v = make([]byte, n)
		if _, err := io.ReadFull(sc.r, v); err != nil {
			return "", sc.eof(err)
		}
		sc.off += int64(n)
	} else if n > sc.r.Buffered()+256<<10 {
		if sc.off+int64(n) > sc.end {
			sc.seek(sc.end)
			return "", sc.eof(io.EOF)
		}
		sc.seek(sc.off + int64(n))
	} else {
		d, err := sc.r.Discard(n)
		sc.off += int64(d)
		if err != nil {
			return "", sc.eof(err)
		}
	}
	var crlf [2]byte
	k, err := io.ReadFull(sc.r, crlf[:])
	sc.off += int64(k)
	if err != nil {
		return "", sc.eof(err)
	}
	if crlf != [2]byte{'\r', '\n'} {
		return "", malformedf("a value is not followed by \\r\\n")
	}
	return string(v), nil
}

// command reads one command: its verb, its key and, for a set of
// meta:checkpoint or meta:format, its value. It checks what BuntDB checks (the verb and
// the number of parts), so a command it accepts BuntDB loads.
func (sc *respScanner) command() (verb, key, val string, err error) {
	n, err := sc.number('*')
	if err != nil {
		return "", "", "", err
	}
	if n < 1 || n > 5 {
		return "", "", "", malformedf("a command of %d parts", n)
	}
	var exp [2]string // a set's expiry ("ex"/"ae" and a number; the store sets none)
	for i := range n {
		keep := i < 2 || (i == 2 && verb == "set" && (key == keyCheckpoint || key == keyFormat)) || i > 2
		v, err := sc.part(keep)
		if err != nil {
			return "", "", "", err
		}
		switch i {
		case 0:
			verb = strings.ToLower(v)
			ok := false
			switch verb {
			case "set":
				ok = n == 3 || n == 5
			case "del":
				ok = n == 2
			case "flushdb":
				ok = true
			}
			if !ok {
				return "", "", "", malformedf("a command %.16q of %d parts", v, n)
			}
		case 1:
			key = v
		case 2:
			val = v
		default:
			exp[i-3] = v // #nosec G602 -- n <= 5 is checked above, so i-3 is 0 or 1
		}
	}
	if n == 5 {
		if a := strings.ToLower(exp[0]); a != "ex" && a != "ae" {
			return "", "", "", malformedf("a set with option %.16q", exp[0])
		}
		if _, err := strconv.ParseInt(exp[1], 10, 64); err != nil {
			return "", "", "", malformedf("a set with expiry %.16q", exp[1])
		}
	}
	return verb, key, val, nil
}

// repairTail checks the BuntDB file at path and cuts off a torn tail (see
// above). A missing file is left for BuntDB to create.
func repairTail(path string) (fileTail, error) {
	var t fileTail
	f, err := os.OpenFile(path, os.O_RDWR, 0) // #nosec G304 -- path is the store the caller opens (the ledger.db of the operator's data directory), never a request's input
	if errors.Is(err, os.ErrNotExist) {
		return t, nil
	}
	if err != nil {
		return t, ioErr("open "+path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return t, ioErr("stat "+path, err)
	}
	size := fi.Size()
	sc := newRespScanner(f, 0, size)
	good := int64(0) // end of the last complete command
	var bad error
	inFormat3 := false // the file says store format 3 from here on (format 4 deletes sealed rows)
	inFormat4 := false
	for {
		// BuntDB skips zero bytes between commands.
		c, err := sc.r.ReadByte()
		for err == nil && c == 0 {
			sc.off++
			c, err = sc.r.ReadByte()
		}
		if err == io.EOF {
			break // only zero bytes, if any, after the last command
		}
		if err != nil {
			return t, ioErr("read "+path, err)
		}
		sc.r.UnreadByte() // #nosec G104 -- it follows a successful ReadByte, so it cannot fail
		if sc.off != good {
			t.complete = good
			return t, damaged(fmt.Sprintf("the BuntDB file %s has %d zero bytes at byte %d, between two commands: the disk lost data there (it is not the tail of the last write)",
				path, sc.off-good, good))
		}
		verb, key, val, err := sc.command()
		var m *malformed
		if err != nil && !errors.Is(err, errTorn) && !errors.As(err, &m) {
			return t, ioErr("read "+path, err)
		}
		if err != nil {
			bad = err
			break
		}
		good = sc.off
		t.lastKey = ""
		if verb == "set" {
			t.lastKey = key
		}
		switch {
		case verb == "set" && key == keyCheckpoint:
			t.checkpoints = append([]string{val}, t.checkpoints[:min(1, len(t.checkpoints))]...)
		case verb == "set" && key == keyFormat:
			inFormat3, inFormat4 = val == format3, val == storeFormat
		case verb == "flushdb":
			t.checkpoints, inFormat3, inFormat4 = nil, false, false
			t.lastSealedDelete = ""
		case verb == "del" && key == keyCheckpoint:
			t.checkpoints = nil
		case verb == "del" && inFormat3 && t.deletedRow == "" && strings.HasPrefix(key, prefixBatch):
			t.deletedRow = key
		case verb == "del" && inFormat4 && strings.HasPrefix(key, prefixBatch):
			if first, err := strconv.ParseUint(key[len(prefixBatch):], 10, 64); err == nil && (t.lastSealedDelete == "" || first > t.lastSealedDeleteFirst) {
				t.lastSealedDelete, t.lastSealedDeleteFirst = key, first
			}
		}
	}
	t.complete = good
	if good == size {
		return t, nil
	}
	if bad != nil && !errors.Is(bad, errTorn) {
		// The command at good is malformed. Its bytes up to the trailing
		// zero bytes must be a cut command (a zero-filled write), or they
		// are not a torn tail.
		z, err := lastNonZero(f, good, size)
		if err != nil {
			return t, ioErr("read "+path, err)
		}
		if z > good {
			sc = newRespScanner(f, good, z)
			_, _, _, err := sc.command()
			var m *malformed
			switch {
			case err == nil:
				return t, tornTailErr(path, good, size, bad.Error())
			case errors.As(err, &m):
				return t, tornTailErr(path, good, size, err.Error())
			case !errors.Is(err, errTorn):
				return t, ioErr("read "+path, err)
			}
		}
	}
	// What follows the last complete command is a cut command, zero bytes,
	// or a cut command and zero bytes: the unfinished last write.
	if err := f.Truncate(good); err != nil {
		return t, ioErr("cut the torn tail of "+path, err)
	}
	if err := f.Sync(); err != nil {
		return t, ioErr("fsync "+path, err)
	}
	t.cut, t.cutFrom = size-good, good
	return t, nil
}

// lastNonZero returns the offset after the last non-zero byte of the file
// in [from, end), or from when there is none.
func lastNonZero(f *os.File, from, end int64) (int64, error) {
	buf := make([]byte, 64<<10)
	for end > from {
		n := min(int64(len(buf)), end-from)
		if _, err := f.ReadAt(buf[:n], end-n); err != nil {
			return 0, err
		}
		for i := n - 1; i >= 0; i-- {
			if buf[i] != 0 {
				return end - n + i + 1, nil
			}
		}
		end -= n
	}
	return from, nil
}

func tornTailErr(path string, at, size int64, why string) error {
	return storeErr(CodeDamaged, "the ledger store is damaged or was altered; refusing to serve it",
		fmt.Sprintf("the BuntDB file %s cannot be read from byte %d of %d (%s), and those bytes are not the cut or zero-filled tail of a write", path, at, size, why),
		fmt.Sprintf("keep a copy of the file; if the machine lost power while the store was writing, the bytes from %d on may be its unfinished last write: "+
			"`truncate -s %d %s` cuts them off, and the store then opens at its last complete commit; otherwise restore the data directory from a backup", at, at, path))
}
