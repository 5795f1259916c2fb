package pyimport

import (
	"fmt"
	"io"
	"os"
	"strings"
)

// maxExport bounds the JSON export read into memory (1 GiB).
const maxExport = 1 << 30

// ReadJSON reads a JSON export of the Python eBIOS's ledger from path ("-"
// for stdin): an array of row objects whose members are the columns of
// its ledger table (op_id, operation, timestamp, inputs_json, output_json,
// coverage, invariant_passed, parent_id, entry_hash, signature), or an
// object whose member "entries" is that array (its other members are
// ignored, and the report names them). The JSON is read as Python's json
// module writes it: NaN, Infinity and -Infinity are numbers. inputs_json
// and output_json may be JSON text (as the table holds them) or JSON
// values. A row that is not an object, or lacks a column, is refused
// with the others' problems; the file as a whole must be valid JSON.
func ReadJSON(path string, stdin io.Reader) (*Rows, error) {
	src := "json " + path
	var b []byte
	var err error
	if path == "-" {
		b, err = io.ReadAll(io.LimitReader(stdin, maxExport+1))
	} else {
		var f *os.File
		if f, err = os.Open(path); err == nil { // #nosec G304 -- path is the operator's --json-export flag
			b, err = io.ReadAll(io.LimitReader(f, maxExport+1))
			f.Close() // #nosec G104 -- a file opened for reading: closing it loses nothing, and the read's error is checked
		}
	}
	if err != nil {
		return nil, importErr(CodeSource, "cannot read the JSON export "+path, err.Error(), "give the path of the Python eBIOS's JSON export")
	}
	if len(b) > maxExport {
		return nil, importErr(CodeSource, "the JSON export "+path+" is larger than 1 GiB", "",
			"import from the Python eBIOS's SQLite file (--sqlite) or PostgreSQL table (--postgres) instead, or split the export")
	}
	v, err := parsePyJSON(b)
	if err != nil {
		return nil, importErr(CodeSource, "the JSON export "+path+" is not JSON", err.Error(),
			"give the file the Python eBIOS exported, unchanged (an array of row objects, or {\"entries\": [...]})")
	}
	out := &Rows{Source: src}
	list, ok := v.([]any)
	if o, isObj := v.(*object); isObj {
		e, has := o.get("entries")
		list, ok = e.([]any)
		if !has || !ok {
			return nil, importErr(CodeSource, "the JSON export "+path+" is an object without an \"entries\" array", "its members are "+strings.Join(o.keys, ", "),
				"give an array of row objects, or an object whose member \"entries\" is that array")
		}
		var other []string
		for _, k := range o.keys {
			if k != "entries" {
				other = append(other, k)
			}
		}
		if len(other) > 0 {
			out.Notes = append(out.Notes, "the export's members other than \"entries\" were not imported: "+strings.Join(other, ", "))
		}
	}
	if !ok {
		return nil, importErr(CodeSource, "the JSON export "+path+" is not an array of rows", fmt.Sprintf("it is %s", describe(v)),
			"give an array of row objects, or an object whose member \"entries\" is that array")
	}
	for i, x := range list {
		o, ok := x.(*object)
		if !ok {
			out.add(row{num: i + 1, cols: &object{vals: map[string]any{}}, notObject: describe(x)})
			continue
		}
		out.add(row{num: i + 1, cols: o})
		list[i] = nil // converted: let the collector have it
	}
	return out, nil
}
