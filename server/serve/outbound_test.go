package serve

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// outbound are the standard library's ways to open a connection or send a
// request, by import path and name. The server makes no request of its
// own: nothing a client sends can make it fetch a URL (OWASP API7, server
// side request forgery; docs/security.md). Its one outbound connection is
// the ACME client of golang.org/x/crypto/acme/autocert, to the certificate
// authority, when tls.acme_domains is set: a library, not listed here,
// and its HTTP client in acme.go when tls.acme_ca_file is set
// (allowedOutbound).
var outbound = map[string]map[string]bool{
	"net/http": {"Get": true, "Head": true, "Post": true, "PostForm": true, "NewRequest": true,
		"NewRequestWithContext": true, "Client": true, "DefaultClient": true, "Transport": true, "DefaultTransport": true},
	"net":                    {"Dial": true, "DialTimeout": true, "Dialer": true, "DialTCP": true, "DialUDP": true, "DialIP": true, "DialUnix": true},
	"crypto/tls":             {"Dial": true, "DialWithDialer": true, "Dialer": true},
	"net/http/httputil":      {"ReverseProxy": true, "NewSingleHostReverseProxy": true},
	"net/rpc":                {"Dial": true, "DialHTTP": true},
	"net/smtp":               {"Dial": true, "SendMail": true},
	"golang.org/x/net/proxy": {"Dial": true, "FromURL": true},
}

// allowedOutbound are the exceptions, by file (as the walk names it)
// and "import path.name", each with its reason.
var allowedOutbound = map[string]map[string]string{
	filepath.Join("..", "serve", "acme.go"): {
		"net/http.Client":    "the ACME client's HTTPS to the CA the operator configures (tls.acme_directory_url, tls.acme_ca_file); no client chooses it",
		"net/http.Transport": "the same ACME client, to trust tls.acme_ca_file",
	},
	filepath.Join("..", "serve", "forward.go"): {
		"net/http/httputil.ReverseProxy":              "on the PostgreSQL store, appends go to the server holding the sequencer lease: a peer's advertise_url, which the peer publishes in the shared database; no client chooses it",
		"net/http/httputil.NewSingleHostReverseProxy": "the same forwarding to the sequencer",
		"net/http.DefaultTransport":                   "the same forwarding (its transport, cloned)",
		"net/http.Transport":                          "the same forwarding (idle connections kept for the writers)",
	},
	filepath.Join("..", "serve", "forwardbatch.go"): {
		"net/http.Client":                "the same forwarding to the sequencer, in batches",
		"net/http.DefaultTransport":      "the same forwarding (its transport, cloned)",
		"net/http.Transport":             "the same forwarding (idle connections kept for the batches in flight)",
		"net/http.NewRequest":            "the request of a batch, to the sequencer's advertise_url",
		"net/http.NewRequestWithContext": "not outbound: the holder builds each forwarded append as a request to its own API handler",
	},
}

// clients are the files of command-line clients, which are not the server:
// what they connect to is the operator's own flag, and no request to the
// server reaches them.
var clients = map[string]string{
	filepath.Join("..", "cmd", "ebios", "backup.go"): "ebios backup calls the running server at the operator's --server URL",
	filepath.Join("..", "cmd", "ebios", "health.go"): "ebios health asks the server's own /healthz or /readyz, at --url or the configured listen address",
}

// TestNoOutboundRequests reads every non-test Go file of server/ and core/
// and fails on any use of a standard way to send a request or dial out.
// A change that needs one must add it here with its reason, and say in
// docs/security.md (API7) what URL it fetches and who chooses it.
func TestNoOutboundRequests(t *testing.T) {
	fset := token.NewFileSet()
	n := 0
	for _, root := range []string{"..", filepath.Join("..", "..", "core")} {
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && p != root && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) {
				return filepath.SkipDir
			}
			if d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") || clients[p] != "" {
				return nil
			}
			f, err := parser.ParseFile(fset, p, nil, parser.SkipObjectResolution)
			if err != nil {
				return err
			}
			n++
			names := map[string]string{} // local name -> import path
			for _, im := range f.Imports {
				path, _ := strconv.Unquote(im.Path.Value)
				name := path[strings.LastIndex(path, "/")+1:]
				if im.Name != nil {
					name = im.Name.Name
				}
				names[name] = path
			}
			ast.Inspect(f, func(n ast.Node) bool {
				sel, ok := n.(*ast.SelectorExpr)
				if !ok {
					return true
				}
				if x, ok := sel.X.(*ast.Ident); ok && outbound[names[x.Name]][sel.Sel.Name] &&
					allowedOutbound[p][names[x.Name]+"."+sel.Sel.Name] == "" {
					t.Errorf("%s: %s.%s makes an outbound connection; the server makes none (see this test)", fset.Position(sel.Pos()), names[x.Name], sel.Sel.Name)
				}
				return true
			})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if n < 100 {
		t.Fatalf("read only %d files: is the test run from server/serve?", n)
	}
}
