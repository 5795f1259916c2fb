package ledger

import (
	"crypto/ed25519"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
)

// sigPool is the [SignatureChecker] a verification uses by itself when it
// has more than one core ([VerifyOptions.Workers]): a fixed set of
// goroutines that check the signatures of each batch in chunks of
// sigChunk, whichever is free taking the next chunk. Answers are written
// in place, so a batch's answers are in entry order however the chunks
// were scheduled; the verifier reads them in batch order, so the report is
// the one of the sequential verifier. stop ends the goroutines: the
// verification calls it before it returns.
type sigPool struct {
	jobs    chan sigJob
	stopped atomic.Bool
	wg      sync.WaitGroup
}

// sigJob is a chunk of a batch: signatures lo to hi-1.
type sigJob struct {
	pub    ed25519.PublicKey
	bodies [][]byte
	sigs   []Signature
	oks    []bool
	lo, hi int
	done   *sync.WaitGroup
}

// sigChunk is how many signatures a pool goroutine checks at a time (a
// variable for tests).
var sigChunk = 64

// errPoolStopped is what a batch answers when the verification stopped
// before it was checked (it is never reported: the verification has
// returned by then).
var errPoolStopped = errors.New("the verification stopped before these signatures were checked")

// workers returns the number of goroutines asked for: n, or the number of
// cores Go uses when n is 0 or less.
func workers(n int) int {
	if n <= 0 {
		return runtime.GOMAXPROCS(0)
	}
	return n
}

// newSigPool starts n goroutines.
func newSigPool(n int) *sigPool {
	// Room for every chunk of the batches a verification has in flight,
	// so that Check never blocks.
	p := &sigPool{jobs: make(chan sigJob, (sigInFlight+2)*(sigBatch/sigChunk+1))}
	p.wg.Add(n)
	for range n {
		go p.work()
	}
	return p
}

func (p *sigPool) work() {
	defer p.wg.Done()
	for j := range p.jobs {
		if !p.stopped.Load() {
			for k := j.lo; k < j.hi; k++ {
				j.oks[k] = ed25519.Verify(j.pub, j.bodies[k], j.sigs[k][:])
			}
		}
		j.done.Done()
	}
}

// Check implements SignatureChecker.
func (p *sigPool) Check(pub ed25519.PublicKey, bodies [][]byte, sigs []Signature) func() ([]bool, error) {
	oks := make([]bool, len(bodies))
	done := new(sync.WaitGroup)
	for lo := 0; lo < len(bodies); lo += sigChunk {
		done.Add(1)
		p.jobs <- sigJob{pub: pub, bodies: bodies, sigs: sigs, oks: oks, lo: lo, hi: min(lo+sigChunk, len(bodies)), done: done}
	}
	return func() ([]bool, error) {
		done.Wait()
		if p.stopped.Load() {
			return nil, errPoolStopped
		}
		return oks, nil
	}
}

// stop makes the goroutines skip the chunks still queued and waits until
// every one of them has ended.
func (p *sigPool) stop() {
	p.stopped.Store(true)
	close(p.jobs)
	p.wg.Wait()
}
