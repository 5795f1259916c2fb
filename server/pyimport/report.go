package pyimport

import (
	"fmt"
	"io"
)

// Print writes the report for a person: the counts, every refusal with
// its fix, the warnings, the notes, and what was written.
func (rep *Report) Print(w io.Writer) {
	verb := "imported"
	if rep.DryRun {
		verb = "to import (dry run)"
	}
	fmt.Fprintf(w, "import from %s: %d rows\n", rep.Source, rep.Rows)
	fmt.Fprintf(w, "  %-20s %d", verb+":", rep.Imported)
	if rep.FirstIndex != nil {
		fmt.Fprintf(w, " (log entries %d to %d)", *rep.FirstIndex, *rep.LastIndex)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "  %-20s %d\n", "already imported:", rep.AlreadyImported)
	fmt.Fprintf(w, "  %-20s %d\n", "refused:", rep.Refused)
	fmt.Fprintf(w, "  %-20s %d (signatures of the Python eBIOS: none can be checked, see below)\n", "unverifiable:", rep.Unverifiable)
	fmt.Fprintf(w, "  %-20s %d\n", "verified:", rep.Verified)
	for _, r := range rep.Refusals {
		fmt.Fprintf(w, "REFUSED row %d%s, %s: %s\n  fix: %s\n", r.Row, opSuffix(r.OpID), r.Field, r.Problem, r.Fix)
	}
	for _, x := range rep.Warnings {
		fmt.Fprintf(w, "warning: row %d%s, %s: %s\n", x.Row, opSuffix(x.OpID), x.Field, x.Message)
	}
	for _, n := range rep.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	switch {
	case rep.Error != nil:
		fmt.Fprintf(w, "FAILED %s: %s\n", rep.Error.Code, rep.Error.Message)
		if rep.Error.Details != "" {
			fmt.Fprintf(w, "  details: %s\n", rep.Error.Details)
		}
		fmt.Fprintf(w, "  fix: %s\n", rep.Error.Remediation)
	case rep.DryRun:
		fmt.Fprintln(w, "OK (dry run): every row can be imported; nothing was written")
	default:
		fmt.Fprintf(w, "OK: every row of the source is in the log (%d appended now, %d before)\n", rep.Imported, rep.AlreadyImported)
	}
}

func opSuffix(op string) string {
	if op == "" {
		return ""
	}
	return fmt.Sprintf(" (op_id %q)", trunc(op))
}
