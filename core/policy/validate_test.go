package policy

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/ and the worked example in docs/policies.md")

const validateGolden = "testdata/validate.golden"

// TestValidateGolden runs Validate on every document in testdata/validate
// and compares the issues, one per line with its path, with
// testdata/validate.golden.
func TestValidateGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/validate/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no test documents: %v", err)
	}
	var w strings.Builder
	for _, f := range files {
		doc, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		issues := Validate(doc)
		w.WriteString("== " + filepath.Base(f) + "\n")
		for _, is := range issues {
			w.WriteString(is.String() + "\n")
		}
		if len(issues) == 0 {
			t.Errorf("%s: no issues", f)
		}
		// Validate and LoadTemplate agree on validity.
		_, lerr := LoadTemplate(doc)
		sigErr := false
		for _, is := range issues {
			if is.Severity == SeverityError && (is.Path == "signature" || is.Path == "public_key" || is.Path == "policy_hash") {
				sigErr = true
			}
		}
		if !sigErr && (lerr == nil) == HasErrors(issues) {
			t.Errorf("%s: LoadTemplate error %v, but Validate errors = %v", f, lerr, HasErrors(issues))
		}
	}
	got := w.String()
	if *update {
		if err := os.WriteFile(validateGolden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(validateGolden)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("validator messages differ from %s (run go test ./core/policy -run TestValidateGolden -update and review the diff):\n%s", validateGolden, got)
	}
}

// TestValidateSigned checks the signature consistency checks of Validate.
func TestValidateSigned(t *testing.T) {
	doc, _ := signedConservative(t)
	if issues := Validate(doc); len(issues) != 0 {
		t.Fatalf("signed template: %v", issues)
	}
	tampered := editDoc(t, doc, func(m map[string]any) { m["config"].(map[string]any)["name"] = "Other" })
	issues := Validate(tampered)
	var paths []string
	for _, is := range issues {
		paths = append(paths, string(is.Severity)+" "+is.Path)
	}
	if strings.Join(paths, ",") != "error signature,error policy_hash" {
		t.Fatalf("got %v", issues)
	}
	if is := Validate(append(make([]byte, MaxDocumentSize), ' ')); len(is) != 1 || is[0].Severity != SeverityError {
		t.Fatalf("oversized: %v", is)
	}
}

func TestSemver(t *testing.T) {
	for s, ok := range map[string]bool{
		"1.0.0": true, "0.0.0": true, "10.20.30": true, "1.0.0-alpha": true, "1.0.0-alpha.1": true,
		"1.0.0-0.3.7": true, "1.0.0-x.7.z.92": true, "1.0.0+20130313144700": true, "1.0.0-beta+exp.sha.5114f85": true,
		"1.0.0-x-y-z.--": true,
		"1":              false, "1.0": false, "v1.0.0": false, "01.0.0": false, "1.01.0": false, "1.0.0-": false, "1.0.0+": false,
		"1.0.0-01": false, "1.0.0-a..b": false, "1.0.0-a_b": false, "1.0.0.0": false, "": false, "1..0": false, " 1.0.0": false,
	} {
		if isSemver(s) != ok {
			t.Errorf("isSemver(%q) = %v", s, !ok)
		}
	}
}
