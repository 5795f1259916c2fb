// Package staticanalysis holds the tests of the static analysis that make
// lint runs: TestGosecFailsOnPlantedDefect shows that make gosec fails on a
// planted defect and on a suppression without a reason. Its testdata
// packages are never built, and make gosec skips testdata/ when it scans
// the tree.
package staticanalysis
