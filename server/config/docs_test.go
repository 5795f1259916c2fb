package config

import (
	"flag"
	"os"
	"strings"
	"testing"
)

var updateDocs = flag.Bool("update-docs", false, "rewrite docs/config.md")

const docsPath = "../../docs/config.md"

const docsHead = `# Configuration

` + "`ebios serve`" + ` takes every setting from the first of: a command-line flag, an
environment variable (` + "`EBIOS_<SECTION>_<KEY>`" + `, a few shorter aliases), the
config file (` + "`--config FILE`" + `, EBIOS_CONFIG, else ` + "`ebios.conf`" + ` in the working
directory), the default. The file is INI as in the seed, read strictly:
unknown keys and sections are errors with their line numbers.
` + "`ebios config check [flags]`" + ` loads the configuration exactly as ` + "`ebios serve`" + `
would and prints every problem with where its value came from.
server/config/testdata/ebios.conf.example sets every key.

This reference is generated from the code (` + "`go test ./server/config -update-docs`" + `)
and a test fails when it is stale.

## Settings

` + "```" + `
`

// TestDocsUpToDate keeps docs/config.md equal to the settings the code knows.
func TestDocsUpToDate(t *testing.T) {
	want := docsHead + Reference() + "\n```\n"
	if *updateDocs {
		if err := os.WriteFile(docsPath, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(docsPath)
	if err != nil || string(got) != want {
		t.Fatalf("docs/config.md is stale; run go test ./server/config -update-docs (%v)", err)
	}
	if !strings.Contains(want, "[ledger] key_file") {
		t.Fatal("reference lacks the ledger key")
	}
}
