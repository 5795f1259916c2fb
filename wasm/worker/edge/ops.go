package edge

import "github.com/ebios/ebios/server/operation"

// The operations are `ebios serve`'s (server/operation): the same request,
// strict decoding, computation and errors.
type (
	// OpRequest is one operation to execute.
	OpRequest = operation.Request
	// computed is the outcome of one operation, ready to be logged.
	computed = operation.Result
)

var compute = operation.Compute
