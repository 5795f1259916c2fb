// Package staticanalysis holds the tests of the static analysis that make
// lint runs: TestGosecFailsOnPlantedDefect shows that make gosec fails on a
// planted defect and on a suppression without a reason, and
// TestFuzzTargetsListed keeps make fuzz's list equal to the fuzz targets
// the tests define. Its testdata packages are never built, and make gosec
// skips testdata/ when it scans the tree.
package staticanalysis
