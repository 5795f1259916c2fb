// Package pgstore keeps an eBIOS log in PostgreSQL, so that several
// `ebios serve` processes share one log: every instance reads, and each
// appends through its own group-commit pipeline.
//
// One sequencer at a time: a commit is one transaction that locks the
// log's head row (SELECT ... FOR UPDATE on ebios_log), brings the
// instance's tree edge up to the size it finds there (reading the tree
// hashes other instances stored), sequences and signs its batch with the
// log engine of core/ledger, inserts the entries with their tree hashes,
// moves the head by compare-and-swap (UPDATE ... WHERE size = the size it
// followed) and records the checkpoint in ebios_checkpoints, whose primary
// key is the tree size: two checkpoints of one size cannot both be
// committed, so there is no fork. An append is acknowledged only after
// COMMIT returned, with synchronous_commit on (set in every transaction
// that writes: SET LOCAL, which connection poolers let through).
// The row lock is held only for the transaction: the lease lasts one
// commit, so when an instance dies (even with SIGKILL) PostgreSQL ends its
// session, rolls back what it had not committed, releases the lock, and
// the next instance's commit proceeds at once; nothing acknowledged is
// lost because nothing is acknowledged before COMMIT. This is the shape of
// Tessera's MySQL driver.
//
// Reads (entries, tiles, proofs, the op-id index) are SQL queries on any
// instance and see every committed entry. Full tiles of 256 entries never
// change: one read from several times is read whole and cached.
//
// Users, sessions and revocations ([Users], an auth.Store), the
// per-account limit of failed logins ([Users.BeginLogin]), policies
// ([Policies], a policystore.Backend) and the rate limits' usage
// ([RateUsage]) live in the same database, so that every instance enforces
// the same ones.
//
// For throughput, one server holds the sequencer lease ([Store.Lease]) and
// the others send it their appends (server/serve), so that its batches
// hold every writer's appends; the lease never decides safety. What this
// design does not give: more write throughput with more servers (one
// sequences); they add availability and read capacity
// (docs/benchmarks.md).
//
// The schema is versioned ([Migrate], run by [Open] and `ebios db
// migrate`); a database migrated by a newer binary is refused.
package pgstore

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ebios/ebios/core/ledger"
	"github.com/ebios/ebios/core/nu"
	"github.com/ebios/ebios/server/ledgerstore"
	"github.com/ebios/ebios/server/logstore"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/mod/sumdb/tlog"
)

// Error codes of this package (category "ledger"). Failures of the store
// itself use ledgerstore's codes (CodeIO, CodeDamaged, CodeClosed,
// CodeWrongKey), which the API answers with 503.
const (
	CodeSchema = "PGSTORE_001" // the schema is newer than this binary, or a migration failed
)

func pgErr(code, msg, details, remedy string) *nu.Error {
	return &nu.Error{Code: code, Category: ledger.CategoryLedger, Message: msg, Details: details, Remediation: remedy}
}

func connErr(op string, err error) error {
	var ne *nu.Error
	if errors.As(err, &ne) {
		return err
	}
	return pgErr(ledgerstore.CodeIO, "PostgreSQL: "+op+" failed", err.Error(),
		"check that the database is reachable (store URL, TLS, credentials) and has room; appends that returned this error were not acknowledged")
}

func damaged(details string) error {
	return pgErr(ledgerstore.CodeDamaged, "the ledger in PostgreSQL is damaged or was altered; refusing to serve it", details,
		"run `ebios ledger verify --store URL` to find the first bad entry, and restore the database from a backup (pg_dump or PITR) taken before it; never edit the ebios_ tables by hand")
}

func notFound(msg, details string) error {
	return pgErr(ledger.CodeNotFound, msg, details, "ask for an index below the tree size of the latest checkpoint")
}

// Options tune a Store. The zero value is the production setting.
type Options struct {
	// OnCommit, if set, is called after each of this instance's commits
	// with the new tree size and the entries committed.
	OnCommit func(size uint64, es []*ledger.Entry)
	// Instance names this process in the head row and the checkpoints it
	// commits (default: host name and process id).
	Instance string
	// MaxBatch bounds the drafts of one commit (default 4096).
	MaxBatch int
	// Now is the clock of entries without a timestamp (default time.Now).
	Now func() time.Time
	// MaxConns bounds the connection pool (default pgxpool's).
	MaxConns int32
}

// Store is a log in PostgreSQL. It is safe for concurrent use, and any
// number of Stores (in as many processes) may share one database.
type Store struct {
	pool     *pgxpool.Pool
	origin   string
	verifier *ledger.Verifier
	signer   *ledger.Signer // nil when read-only
	opts     Options
	tiles    tileCache

	reqs chan *request
	quit chan struct{}
	done chan struct{}

	mu     sync.RWMutex
	closed bool

	edge *edge // the committer's tree state; nil until first read

	head atomic.Pointer[head] // the last head read, served while the database does not answer

	leader atomic.Bool            // this server holds the sequencer lease (Lease)
	seqURL atomic.Pointer[string] // where the lease holder is
}

type head struct {
	cp   []byte
	size int64
}

var _ logstore.Log = (*Store)(nil)

// Connect opens a connection pool to url, with application_name "ebios"
// unless the URL names one.
func Connect(ctx context.Context, url string, maxConns int32) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, pgErr(ledgerstore.CodeIO, "the PostgreSQL store URL is not valid", err.Error(),
			"give a URL such as postgres://user@host:5432/db?sslmode=verify-full (or key=value settings)")
	}
	if cfg.ConnConfig.RuntimeParams["application_name"] == "" {
		cfg.ConnConfig.RuntimeParams["application_name"] = "ebios"
	}
	if maxConns > 0 {
		cfg.MaxConns = maxConns
	}
	// Every query planned for the tables as they are (see setCustomPlans;
	// the commit also sets it itself, which a transaction pooler that
	// hands the session's SET to another client cannot undo).
	cfg.AfterConnect = func(ctx context.Context, c *pgx.Conn) error {
		_, err := c.Exec(ctx, "SET plan_cache_mode TO force_custom_plan")
		return err
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, connErr("connecting", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, connErr("connecting to "+cfg.ConnConfig.Host, err)
	}
	return pool, nil
}

// Open opens the log in the database at url, signed by signer: it applies
// the schema migrations, creates the log if the database has none, and
// refuses a log of another key.
func Open(ctx context.Context, url string, signer *ledger.Signer, opts *Options) (*Store, error) {
	return open(ctx, url, signer, opts)
}

// OpenReadOnly opens an existing log without its signing key, to read,
// export and verify it. It changes nothing in the database (no migration).
func OpenReadOnly(ctx context.Context, url string) (*Store, error) {
	return open(ctx, url, nil, nil)
}

func open(ctx context.Context, url string, signer *ledger.Signer, opts *Options) (*Store, error) {
	s := &Store{signer: signer, reqs: make(chan *request, 1024), quit: make(chan struct{}), done: make(chan struct{})}
	if opts != nil {
		s.opts = *opts
	}
	if s.opts.MaxBatch <= 0 {
		s.opts.MaxBatch = 4096
	}
	if s.opts.Now == nil {
		s.opts.Now = time.Now
	}
	if s.opts.Instance == "" {
		host, _ := os.Hostname()
		s.opts.Instance = host + ":" + strconv.Itoa(os.Getpid())
	}
	pool, err := Connect(ctx, url, s.opts.MaxConns)
	if err != nil {
		return nil, err
	}
	s.pool = pool
	if err := s.init(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	s.tiles.init()
	if signer != nil {
		go s.run()
	} else {
		close(s.done)
	}
	return s, nil
}

// init migrates the schema (when writable), creates the log if there is
// none, and reads its identity.
func (s *Store) init(ctx context.Context) error {
	if s.signer != nil {
		if _, err := Migrate(ctx, s.pool); err != nil {
			return err
		}
		c := ledger.Checkpoint{Origin: s.signer.Name(), Size: 0, Root: tlog.Hash(sha256.Sum256(nil))}
		cp, err := c.Sign(s.signer)
		if err != nil {
			return err
		}
		// One statement: the head and the checkpoint of the empty tree,
		// both or neither (another instance may be creating them too).
		if _, err := s.pool.Exec(ctx, `WITH head AS (
				INSERT INTO ebios_log (id, origin, verifier_key, size, checkpoint, writer) VALUES (1, $1, $2, 0, $3, $4)
				ON CONFLICT (id) DO NOTHING RETURNING checkpoint, writer)
			INSERT INTO ebios_checkpoints (size, checkpoint, writer) SELECT 0, checkpoint, writer FROM head`,
			s.signer.Name(), s.signer.VerifierKey(), cp, s.opts.Instance); err != nil {
			return connErr("creating the log", err)
		}
	} else if err := CheckSchema(ctx, s.pool); err != nil {
		return err
	}
	var vkey string
	err := s.pool.QueryRow(ctx, "SELECT origin, verifier_key FROM ebios_log WHERE id = 1").Scan(&s.origin, &vkey)
	if errors.Is(err, pgx.ErrNoRows) {
		return pgErr(ledgerstore.CodeIO, "the database holds no eBIOS log", "",
			"start `ebios serve --store URL` with the log's key once, which creates it, or check the URL names the right database")
	}
	if err != nil {
		return connErr("reading the log", err)
	}
	if s.verifier, err = ledger.ParseVerifierKey(vkey); err != nil {
		return damaged("the log's verifier key does not parse: " + err.Error())
	}
	if s.signer != nil && vkey != s.signer.VerifierKey() {
		return pgErr(ledgerstore.CodeWrongKey, "the log in this database was written with another key",
			"the log's key is "+vkey+", this server's is "+s.signer.VerifierKey(),
			"start every instance with the log's own signing key (--ledger-key), or point --store at another database")
	}
	return nil
}

// CheckSchema returns an error unless the database's schema is the one
// this binary knows (run Migrate to bring an older one up).
func CheckSchema(ctx context.Context, db querier) error {
	var v int
	err := db.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM ebios_schema").Scan(&v)
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "42P01" { // undefined_table
		v, err = 0, nil
	}
	if err != nil {
		return connErr("reading the schema version", err)
	}
	switch known := SchemaVersion(); {
	case v > known:
		return pgErr(CodeSchema, fmt.Sprintf("the database has eBIOS schema version %d, newer than this binary knows (%d)", v, known),
			"a newer ebios migrated it", "use the ebios release that migrated it (or a newer one)")
	case v < known:
		return pgErr(CodeSchema, fmt.Sprintf("the database has eBIOS schema version %d, older than this binary's (%d)", v, known), "",
			"run `ebios db migrate --store URL` (or start `ebios serve`, which migrates)")
	}
	return nil
}

// durableTx runs f in a transaction that COMMIT makes durable before it
// returns (synchronous_commit on, whatever the server's or the role's
// default), and commits it.
func durableTx(ctx context.Context, db Beginner, f func(tx pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, setDurable); err != nil {
			return err
		}
		return f(tx)
	})
}

// setDurable makes the transaction's COMMIT wait for its WAL flush.
const setDurable = "SET LOCAL synchronous_commit TO on"

// setCustomPlans has the commit's queries planned for the table as it is
// at each execution. pgx prepares its statements, and PostgreSQL keeps the
// generic plan it chose after five executions: chosen while the log was
// small (and not yet analysed), the op-id lookup stayed a sequential scan
// of ebios_entries, and appends slowed down as the log grew (from 3,310 to
// 644 a second within 36 s of load).
const setCustomPlans = "SET LOCAL plan_cache_mode TO force_custom_plan"

// Pool returns the store's connection pool (for the stores of users and
// policies that share the database).
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Origin returns the log's origin.
func (s *Store) Origin() string { return s.origin }

// VerifierKey returns the log's verifier key in note format.
func (s *Store) VerifierKey() string { return s.verifier.String() }

// Ready returns nil when the store takes appends and the database
// answers, and otherwise why not.
func (s *Store) Ready() error {
	s.mu.RLock()
	closed := s.closed
	s.mu.RUnlock()
	switch {
	case closed:
		return errClosed()
	case s.signer == nil:
		return pgErr(ledgerstore.CodeClosed, "the ledger store is open read-only", "", "open it with its signing key to append")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := s.pool.Ping(ctx); err != nil {
		return connErr("reaching the database", err)
	}
	return nil
}

func errClosed() error {
	return pgErr(ledgerstore.CodeClosed, "the ledger store is closed", "", "reopen the store")
}

// Latest returns the latest committed checkpoint and its tree size, read
// together from the head row (every instance's commits included).
func (s *Store) Latest() (cp []byte, size int64) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.pool.QueryRow(ctx, "SELECT checkpoint, size FROM ebios_log WHERE id = 1").Scan(&cp, &size); err != nil {
		// The database does not answer: the last head read (Ready says
		// why appends fail).
		if h := s.head.Load(); h != nil {
			return h.cp, h.size
		}
		return nil, 0
	}
	s.head.Store(&head{cp, size})
	return cp, size
}

// Len returns the number of committed entries.
func (s *Store) Len() uint64 {
	_, n := s.Latest()
	return uint64(n) // #nosec G115 -- a tree size, never negative (CHECK size >= 0)
}

// Checkpoint returns the latest checkpoint.
func (s *Store) Checkpoint() []byte {
	cp, _ := s.Latest()
	return cp
}

// Close stops the committer after the appends already queued, and closes
// the pool.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	close(s.quit)
	<-s.done
	s.pool.Close()
	return nil
}
