package docsite

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
)

// Generated files of the documentation, relative to the repository root.
const (
	APIDoc    = "docs/api.md"
	ErrorsDoc = "docs/errors.md"
)

// Generate returns the generated pages of the documentation, by path
// relative to the repository root: the API reference (from the OpenAPI
// document and the server's route table) and the error codes (from the
// code's constants). When the code keeps the error-code list from being
// complete (a code without a constant or a comment), it returns those
// problems as Problems.
func Generate(root string) (map[string][]byte, error) {
	reg, err := ScanCodes(root)
	if err != nil {
		return nil, fmt.Errorf("scanning the error codes: %w", err)
	}
	if len(reg.Problems) > 0 {
		return nil, Problems(reg.Problems)
	}
	doc, err := os.ReadFile(filepath.Join(root, "server", "api", "openapi.json")) // #nosec G304 -- the repository's own OpenAPI document
	if err != nil {
		return nil, fmt.Errorf("reading the OpenAPI document: %w", err)
	}
	routes, lim, err := ServerRoutes()
	if err != nil {
		return nil, fmt.Errorf("reading the server's route table: %w", err)
	}
	api, err := APIMarkdown(doc, routes, lim, reg)
	if err != nil {
		return nil, err
	}
	return map[string][]byte{APIDoc: api, ErrorsDoc: ErrorsMarkdown(reg)}, nil
}

// Stale lists the generated pages whose file under root differs from what
// Generate makes now.
func Stale(root string, gen map[string][]byte) []string {
	var out []string
	for _, name := range []string{APIDoc, ErrorsDoc} {
		b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(name))) // #nosec G304 -- a generated page of the repository (docs/api.md, docs/errors.md)
		if err != nil || !bytes.Equal(b, gen[name]) {
			out = append(out, name)
		}
	}
	return out
}

// WriteGenerated writes the generated pages under root.
func WriteGenerated(root string, gen map[string][]byte) error {
	for name, b := range gen {
		if err := os.WriteFile(filepath.Join(root, filepath.FromSlash(name)), b, 0o644); err != nil { // #nosec G306 -- a documentation page of the repository, world-readable like the rest of the tree
			return fmt.Errorf("writing %s: %w", name, err)
		}
	}
	return nil
}
