// Package policystore keeps the server's signed policies and the one in
// force, and is the guard of the request path: every result is judged by
// the active policy, and activations and deactivations are ledger entries.
//
// Policies live in their own BuntDB file (DATA/policies.db, locked to one
// process), or, for several servers on one log, in a [Backend] they share
// (OpenShared: PostgreSQL, server/pgstore). A change is made crash-safe in three steps: the new state is
// written with a pending op id, the ledger entry with that op id is
// appended, and the state is marked logged. On open, a change whose entry is
// missing from the ledger is logged then, so the ledger never lacks an
// activation that took effect.
package policystore

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/ebios/ebios/core/ledger"
	"github.com/ebios/ebios/core/nu"
	"github.com/ebios/ebios/core/policy"
	"github.com/ebios/ebios/server/api"
	"github.com/ebios/ebios/server/filelock"
	"github.com/ebios/ebios/server/ledgerstore"
	"github.com/ebios/ebios/server/logstore"
	"github.com/tidwall/buntdb"
)

// Error codes of this package (category "policy", after core/policy's).
const (
	CodeNotFound = "POLICY_010" // no stored policy with that hash
	CodeNoActive = "POLICY_011" // deactivate with no policy in force
	CodeStore    = "POLICY_012" // the policies file cannot be read or written
)

// Ledger operations of policy changes.
const (
	OpActivate   = "policy.activate"
	OpDeactivate = "policy.deactivate"
)

const (
	prefixDoc  = "policy:" // policy:<hash hex> → signed document
	keyActive  = "active"  // hash hex of the policy in force, or ""
	keyPending = "pending" // JSON of the change not yet known to be logged
)

func perr(code, msg, details, remedy string) *nu.Error {
	return &nu.Error{Code: code, Category: "policy", Message: msg, Details: details, Remediation: remedy}
}

// Store is the policy side of the server; it implements api.Policies.
type Store struct {
	kv      Backend
	db      *buntdb.DB // the BuntDB file, nil on another backend
	lock    *filelock.Lock
	stop    chan struct{} // ends the refresher of a shared backend
	trusted []*ledger.Verifier
	log     logstore.Log

	mu     sync.Mutex // serialises changes
	active atomic.Pointer[policy.Policy]
}

var _ api.Policies = (*Store)(nil)

// change is a policy change on its way into the ledger.
type change struct {
	OpID string `json:"op_id"`
	Op   string `json:"op"`
	Hash string `json:"hash"` // the policy activated or deactivated
	User string `json:"user"`
}

// Open opens the policies file at path (":memory:" for tests). trusted are
// the keys allowed to sign policies. Notices (for the operator) report what
// Open repaired or refused: a pending change logged late, an active
// policy whose key is no longer trusted, which is deactivated (and logged),
// or a file readable by other users, which is made private (a new file is
// created with mode 0600, whatever the umask).
func Open(path string, trusted []*ledger.Verifier, log logstore.Log) (s *Store, notices []string, err error) {
	s = &Store{trusted: trusted, log: log}
	if path != ":memory:" {
		if s.lock, err = filelock.Acquire(path); err != nil {
			if errors.Is(err, filelock.ErrLocked) {
				return nil, nil, perr(CodeStore, "the policies file "+path+" is in use by another process", "", "stop the other server")
			}
			return nil, nil, perr(CodeStore, "cannot lock "+path, err.Error(), "check permissions")
		}
		var n string
		if n, err = ledgerstore.PrivateFile(path); err != nil {
			s.lock.Unlock()
			return nil, nil, perr(CodeStore, "cannot create the policies file "+path, err.Error(), "check the data directory")
		}
		if n != "" {
			notices = append(notices, n)
		}
	}
	if s.db, err = buntdb.Open(path); err == nil {
		err = s.db.SetConfig(buntdb.Config{SyncPolicy: buntdb.Always, AutoShrinkDisabled: true})
		s.kv = buntBackend{s.db}
	}
	if err != nil {
		s.Close() // #nosec G104 -- cleanup after a failed open, whose error is the one reported
		return nil, nil, perr(CodeStore, "cannot open the policies file "+path, err.Error(), "check the data directory")
	}
	recovered, err := s.recover()
	if err != nil {
		s.Close() // #nosec G104 -- cleanup after a failed open, whose error is the one reported
		return nil, nil, err
	}
	return s, append(notices, recovered...), nil
}

// Close closes the policies file.
func (s *Store) Close() error {
	var err error
	if s.stop != nil {
		close(s.stop)
		s.stop = nil
	}
	if s.kv != nil {
		err = s.kv.Close()
	}
	s.lock.Unlock()
	return err
}

// Snapshot writes a consistent copy of the policies file to w, in BuntDB's
// file format, while the store stays in use: the online backup
// (server/backup) keeps policies this way. A change pending in the copy
// is logged by Open, as after a crash.
func (s *Store) Snapshot(w io.Writer) error {
	if s.db == nil {
		return perr(CodeStore, "the policies are not in a file", "", "back up their database instead")
	}
	if err := s.db.Save(w); err != nil {
		return perr(CodeStore, "cannot copy the policies file", err.Error(), "check the disk")
	}
	return nil
}

func (s *Store) get(key string) (string, error) { return s.kv.Get(key) }

// recover logs a pending change and loads the active policy.
func (s *Store) recover() ([]string, error) {
	var notices []string
	pend, err := s.get(keyPending)
	if err != nil {
		return nil, perr(CodeStore, "cannot read the policies file", err.Error(), "")
	}
	if pend != "" {
		var c change
		if err := json.Unmarshal([]byte(pend), &c); err != nil {
			return nil, perr(CodeStore, "the policies file is damaged", err.Error(), "restore it from a backup")
		}
		if _, ok := s.log.IndexOfOp(c.OpID); !ok {
			if _, err := s.logChange(context.Background(), c); err != nil {
				return nil, err
			}
			notices = append(notices, fmt.Sprintf("logged the %s of policy %s, which an earlier run made but did not log", c.Op, c.Hash))
		}
		if err := s.set(keyPending, ""); err != nil {
			return nil, err
		}
	}
	h, err := s.get(keyActive)
	if err != nil || h == "" {
		return notices, err
	}
	doc, err := s.get(prefixDoc + h)
	var p *policy.Policy
	if err == nil {
		p, err = policy.Parse([]byte(doc), s.trusted)
	}
	if err != nil {
		// Fail closed on the policy, never silently: deactivate and log it.
		_, _, derr := s.deactivate(context.Background(), "ebios (startup)")
		if derr != nil {
			return nil, derr
		}
		return append(notices, "deactivated policy "+h+": it no longer verifies against the trusted keys ("+err.Error()+")"), nil
	}
	s.active.Store(p)
	return notices, nil
}

func (s *Store) set(key, value string) error { return s.put(map[string]string{key: value}) }

// put writes the keys atomically ("" deletes).
func (s *Store) put(kvs map[string]string) error {
	if err := s.kv.Put(kvs); err != nil {
		return perr(CodeStore, "cannot write the policies", err.Error(), "check the disk or the database")
	}
	return nil
}

// Judge evaluates v against the active policy.
func (s *Store) Judge(v nu.Value) api.Judgement {
	p := s.active.Load()
	if p == nil {
		return api.Judgement{}
	}
	events, d := p.Check(v.N(), v.U())
	return api.Judgement{Events: events, PolicyHash: p.Hash(), Halt: d.Halt}
}

// Active returns the policy in force, or nil.
func (s *Store) Active() *api.PolicyInfo {
	p := s.active.Load()
	if p == nil {
		return nil
	}
	i := info(p)
	i.Active = true
	return &i
}

func info(p *policy.Policy) api.PolicyInfo {
	c := p.Config()
	halt := policy.DefaultEscalation.HaltOnCritical
	if c.Escalation != nil {
		halt = c.Escalation.HaltOnCritical
	}
	return api.PolicyInfo{Hash: p.HashHex(), Name: c.Name, Version: c.Version, Description: c.Description,
		Key: p.Signer().String(), Rules: len(c.Rules), Halt: halt}
}

// List returns every stored policy that still verifies, by name.
func (s *Store) List() []api.PolicyInfo {
	docs, _ := s.kv.Values(prefixDoc) // #nosec G104 -- a store that cannot be read lists nothing; its writes report the failure
	active := ""
	if p := s.active.Load(); p != nil {
		active = p.HashHex()
	}
	var out []api.PolicyInfo
	for _, d := range docs {
		if p, err := policy.Parse([]byte(d), s.trusted); err == nil {
			i := info(p)
			i.Active = i.Hash == active
			out = append(out, i)
		}
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Name+out[a].Version < out[b].Name+out[b].Version })
	return out
}

// Get returns the stored document with the given hash (hex).
func (s *Store) Get(hash string) ([]byte, error) {
	doc, err := s.get(prefixDoc + strings.ToLower(hash))
	if err != nil || doc == "" {
		return nil, perr(CodeNotFound, "no stored policy "+hash, "", "list the policies with GET /api/v1/policies")
	}
	return []byte(doc), nil
}

// Activate makes a policy the one in force: a signed document (stored on
// the way) or, with doc nil, a stored policy by hash. The document must
// verify against a trusted key and pass validation.
func (s *Store) Activate(ctx context.Context, doc []byte, hash, user string) (*api.PolicyInfo, *ledger.Entry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if doc == nil {
		var err error
		if doc, err = s.Get(hash); err != nil {
			return nil, nil, err
		}
	}
	p, err := policy.Parse(doc, s.trusted)
	if err != nil {
		return nil, nil, err
	}
	c := change{OpID: ledgerstore.NewOpID(), Op: OpActivate, Hash: p.HashHex(), User: user}
	pend, _ := json.Marshal(c)
	if err := s.put(map[string]string{prefixDoc + c.Hash: string(p.Marshal()), keyActive: c.Hash, keyPending: string(pend)}); err != nil {
		return nil, nil, err
	}
	s.active.Store(p)
	e, err := s.commit(ctx, c)
	if err != nil {
		return nil, nil, err
	}
	i := info(p)
	i.Active = true
	return &i, e, nil
}

// Deactivate ends the policy in force; later entries record no policy.
func (s *Store) Deactivate(ctx context.Context, user string) (*api.PolicyInfo, *ledger.Entry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.deactivate(ctx, user)
}

func (s *Store) deactivate(ctx context.Context, user string) (*api.PolicyInfo, *ledger.Entry, error) {
	h, err := s.get(keyActive)
	if err != nil || h == "" {
		return nil, nil, perr(CodeNoActive, "no policy is active", "", "activate one first")
	}
	c := change{OpID: ledgerstore.NewOpID(), Op: OpDeactivate, Hash: h, User: user}
	pend, _ := json.Marshal(c)
	if err := s.put(map[string]string{keyActive: "", keyPending: string(pend)}); err != nil {
		return nil, nil, err
	}
	old := s.active.Swap(nil)
	e, err := s.commit(ctx, c)
	if err != nil {
		return nil, nil, err
	}
	i := api.PolicyInfo{Hash: h}
	if old != nil {
		i = info(old)
	}
	return &i, e, nil
}

// commit logs a change and clears it from pending.
func (s *Store) commit(ctx context.Context, c change) (*ledger.Entry, error) {
	e, err := s.logChange(ctx, c)
	if err != nil {
		return nil, err // stays pending: logged on the next open
	}
	return e, s.set(keyPending, "")
}

// logChange appends the ledger entry of a change. The entry's policy hash
// is the policy activated or deactivated; the expression field says who did
// it, in a documented form: "<op> <hash hex> by <user>".
func (s *Store) logChange(ctx context.Context, c change) (*ledger.Entry, error) {
	h, err := hex.DecodeString(c.Hash)
	if err != nil || len(h) != 32 {
		return nil, perr(CodeStore, "bad policy hash in a pending change", c.Hash, "restore the policies file")
	}
	d := ledger.Draft{OpID: c.OpID, Operation: c.Op, Invariant: ledger.Invariant{OK: true},
		Expression: c.Op + " " + c.Hash + " by " + c.User}
	copy(d.PolicyHash[:], h)
	return s.log.Append(ctx, d)
}
