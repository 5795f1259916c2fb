package policystore

import (
	"errors"
	"time"

	"github.com/ebios/ebios/core/ledger"
	"github.com/ebios/ebios/core/policy"
	"github.com/ebios/ebios/server/logstore"
	"github.com/tidwall/buntdb"
)

// Backend keeps the policies' keys and values: the BuntDB file (Open), or
// a database that several servers share (OpenShared; server/pgstore).
type Backend interface {
	// Get returns the value of key, "" when there is none.
	Get(key string) (string, error)
	// Put sets the keys to their values in one transaction; "" deletes.
	Put(kvs map[string]string) error
	// Values returns the values of the keys starting with prefix.
	Values(prefix string) ([]string, error)
	// Close releases the backend.
	Close() error
}

// OpenShared opens the policies kept in a backend that other servers share.
// What Open does on its file it does here, and every refresh it reads the
// policy in force again, so that an activation or deactivation made
// through another server takes effect here within refresh.
func OpenShared(kv Backend, trusted []*ledger.Verifier, log logstore.Log, refresh time.Duration) (*Store, []string, error) {
	s := &Store{kv: kv, trusted: trusted, log: log, stop: make(chan struct{})}
	notices, err := s.recover()
	if err != nil {
		return nil, nil, err
	}
	go s.refresh(refresh, s.stop)
	return s, notices, nil
}

// refresh reloads the policy in force every d until stop is closed.
func (s *Store) refresh(d time.Duration, stop <-chan struct{}) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			s.reload()
		}
	}
}

// reload makes the stored active policy the one in force, if it changed.
// A policy that does not verify is left out of force, as Open does.
func (s *Store) reload() {
	s.mu.Lock()
	defer s.mu.Unlock()
	h, err := s.get(keyActive)
	if err != nil {
		return // keep the policy in force until the store answers
	}
	cur := s.active.Load()
	switch {
	case h == "":
		s.active.Store(nil)
	case cur != nil && cur.HashHex() == h:
	default:
		doc, err := s.get(prefixDoc + h)
		if err != nil {
			return
		}
		p, err := policy.Parse([]byte(doc), s.trusted)
		if err != nil {
			s.active.Store(nil) // fail closed: no policy rather than an unverified one
			return
		}
		s.active.Store(p)
	}
}

// buntBackend is the policies file.
type buntBackend struct{ db *buntdb.DB }

func (b buntBackend) Get(key string) (string, error) {
	var v string
	err := b.db.View(func(tx *buntdb.Tx) error {
		var err error
		v, err = tx.Get(key)
		return err
	})
	if errors.Is(err, buntdb.ErrNotFound) {
		return "", nil
	}
	return v, err
}

func (b buntBackend) Put(kvs map[string]string) error {
	return b.db.Update(func(tx *buntdb.Tx) error {
		for k, v := range kvs {
			var err error
			if v == "" {
				if _, err = tx.Delete(k); errors.Is(err, buntdb.ErrNotFound) {
					err = nil
				}
			} else {
				_, _, err = tx.Set(k, v, nil)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
}

func (b buntBackend) Values(prefix string) ([]string, error) {
	var vs []string
	err := b.db.View(func(tx *buntdb.Tx) error {
		return tx.AscendKeys(prefix+"*", func(_, v string) bool { vs = append(vs, v); return true })
	})
	return vs, err
}

func (b buntBackend) Close() error { return b.db.Close() }
