// Package docsite builds the eBIOS documentation: a static HTML site from
// README.md and docs/*.md, rendered with goldmark (GitHub Flavored
// Markdown, with GitHub's heading ids so that anchors work on GitHub and
// in the site alike), and the two generated pages of docs/: the API
// reference (docs/api.md, from server/api/openapi.json and the server's
// route table) and the error codes (docs/errors.md, from the Code...
// constants of the Go code, found with go/ast).
//
// Every link of the site is relative, so it works from file:// and from
// any static host; links to Markdown pages become links to their HTML
// pages, and files of the repository that pages link to are copied into
// the site. [Build] checks every link and #anchor of the site it wrote
// ([CheckLinks]) and fails when one is broken.
//
// `make docs` runs `docsite gen` and `docsite build`; cmd/docsite is the
// command, [Run] its testable body.
package docsite
