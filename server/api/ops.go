package api

import "github.com/ebios/ebios/server/operation"

// OpRequest is one operation to execute (server/operation.Request).
type OpRequest = operation.Request

// Input is one operand, [n, u] or {"n": n, "u": u} (server/operation.Input).
type Input = operation.Input

// computed is the outcome of one operation, ready to be logged.
type computed = operation.Result

// compute validates and evaluates one request without touching the ledger
// (server/operation.Compute).
var compute = operation.Compute

// Operations lists the operation names the API accepts.
func Operations() []string { return operation.Names() }
