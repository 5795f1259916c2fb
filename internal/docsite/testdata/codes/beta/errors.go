// Package beta is a fixture of the error-code scanner.
package beta

// Error codes of beta.
const (
	CodeB   = "BETA_001"  // beta's failure
	CodeDup = "ALPHA_001" // the same code as alpha.CodeOne
)
