package pgstore

import (
	"context"
	"time"
)

// lockSequencer is the session advisory lock of the sequencer lease.
const lockSequencer int64 = 0x0eb105_0003

// leasePoll is how often a server that does not hold the lease tries to
// take it, and reads where the holder is.
const leasePoll = 250 * time.Millisecond

// Lease runs until ctx ends. It takes the sequencer lease whenever it is
// free (a session advisory lock, held on a connection of its own, so that
// it ends with the session when this process dies) and then publishes url
// (where the other servers reach this one) as the sequencer's; while
// another server holds it, it reads that server's url. [Store.Sequencer]
// answers from what it found. The lease is for throughput only: the other
// servers send their appends to the holder, whose batches are then as
// large as one server's; safety never depends on it (every commit locks
// the head row and moves it by compare-and-swap).
func (s *Store) Lease(ctx context.Context, url string) {
	for ctx.Err() == nil {
		s.holdLease(ctx, url)
		s.leader.Store(false)
		select {
		case <-ctx.Done():
		case <-time.After(leasePoll):
		}
	}
}

// holdLease tries for the lease until it has it, then holds it until the
// connection fails or ctx ends.
func (s *Store) holdLease(ctx context.Context, url string) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return
	}
	defer conn.Release()
	defer conn.Conn().Close(context.Background()) // #nosec G104 -- the lease's connection is never handed back to the pool: closing it releases the lock
	for {
		var got bool
		if err := conn.QueryRow(ctx, "SELECT pg_try_advisory_lock($1)", lockSequencer).Scan(&got); err != nil {
			return
		}
		if got {
			break
		}
		var other string
		if err := conn.QueryRow(ctx, "SELECT url FROM ebios_sequencer WHERE id = 1").Scan(&other); err == nil {
			s.seqURL.Store(&other)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(leasePoll):
		}
	}
	if _, err := conn.Exec(ctx, `INSERT INTO ebios_sequencer (id, url, instance) VALUES (1, $1, $2)
		ON CONFLICT (id) DO UPDATE SET url = excluded.url, instance = excluded.instance, since = now()`, url, s.opts.Instance); err != nil {
		return
	}
	s.seqURL.Store(&url)
	s.leader.Store(true)
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
		if err := conn.Ping(ctx); err != nil {
			return
		}
	}
}

// Sequencer returns the url of the server that holds the sequencer lease
// ("" when none is known) and whether it is this one.
func (s *Store) Sequencer() (url string, self bool) {
	if u := s.seqURL.Load(); u != nil {
		url = *u
	}
	return url, s.leader.Load()
}
