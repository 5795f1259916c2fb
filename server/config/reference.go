package config

import (
	"fmt"
	"strings"
)

// Reference returns the reference of every setting, one paragraph each:
//
//	[section] key = default
//		flag -flag, env EBIOS_SECTION_KEY (or aliases); type
//		description
//
// The package documentation carries the same text (a test keeps them
// equal); docs/config.md is written from it.
func Reference() string {
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteString("\n")
		}
		def := k.def
		if def == "" {
			def = `""`
		}
		fmt.Fprintf(&b, "[%s] %s = %s\n", k.section, k.name, def)
		env := k.env()
		if len(k.aliases) > 0 {
			env += " (or " + strings.Join(k.aliases, ", ") + ")"
		}
		fmt.Fprintf(&b, "\tflag -%s, env %s; %s\n", k.flag, env, k.kind)
		fmt.Fprintf(&b, "\t%s\n", k.doc)
	}
	return b.String()
}

// Usage returns the help text of the flags Load accepts.
func Usage() string {
	var b strings.Builder
	b.WriteString("  -config file\n\tconfig file (default ebios.conf if it exists; env EBIOS_CONFIG)\n")
	for _, k := range keys {
		arg := " value"
		if k.kind == kindBool {
			arg = ""
		}
		def := ""
		if k.def != "" {
			def = " (default " + k.def + ")"
		}
		fmt.Fprintf(&b, "  -%s%s\n\t%s%s\n", k.flag, arg, k.doc, def)
	}
	return b.String()
}
