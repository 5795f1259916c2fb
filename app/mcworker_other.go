//go:build !wasm

package app

import (
	"errors"
	"time"
)

// mcWorker is the native stub of the analysis worker: Web Workers exist
// only in the browser. Tests drive the panel through its events instead.
type mcWorker struct{}

func newMCWorker(string, func(workerEvent)) (*mcWorker, error) {
	return nil, errors.New("analyses run in the browser's Web Worker")
}

func (w *mcWorker) post(string) {}

func (w *mcWorker) terminate() {}

// now is a clock in milliseconds.
func now() float64 { return float64(time.Now().UnixNano()) / 1e6 }
