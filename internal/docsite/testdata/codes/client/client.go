// Package client is a fixture: a client's copy of a code.
package client

const codeOne = "ALPHA_001" // the client's copy of alpha.CodeOne

var _ = codeOne
