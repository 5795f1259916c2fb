//go:build !wasm

package app

import (
	"errors"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// readFile is the native stub of the browser's file reading: there are no
// browser files outside the browser.
func readFile(file app.Value, done func([]byte, error)) {
	go done(nil, errors.New("files can only be read in the browser"))
}

// yieldToBrowser does nothing outside the browser.
func yieldToBrowser() {}
