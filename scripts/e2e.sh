#!/bin/sh
# End-to-end tests of the browser app in headless Chromium (e2e/audit.test.mjs,
# e2e/ed25519pool.test.mjs, e2e/explorer.test.mjs, e2e/static.test.mjs,
# e2e/crossorigin.test.mjs, e2e/analysis.test.mjs, e2e/widget.test.mjs,
# e2e/worker.test.mjs, then
# e2e/calc.test.mjs),
# driven by npm playwright-core against Debian's chromium; playwright never
# downloads a browser). Installs what is missing (Debian chromium and nodejs,
# e2e/node_modules by `npm ci` from the lock file) and fails with a clear
# message when it cannot; builds bin/ebios with the app embedded (make build:
# web/app.wasm, web/mcworker.wasm and their brotli and gzip forms), starts a real
# server on a free loopback port with a throwaway data directory, runs the
# tests, always stops the server. Screenshots are kept in e2e/out/.
#
# Environment: CHROMIUM (default /usr/bin/chromium), E2E_OUT (default e2e/out),
# E2E_TESTS (the test files, default the ones above; make audit-bench sets
# e2e/audit-bench.mjs, make firstvisit e2e/firstvisit.mjs).
set -eu
cd "$(dirname "$0")/.."
ROOT=$(pwd)
CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
E2E_OUT="${E2E_OUT:-$ROOT/e2e/out}"

die() { echo "e2e: error: $*" >&2; exit 1; }

apt_install() { # apt_install PACKAGE...: as root, with apt-get; quiet unless it fails
	[ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 || return 1
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null 2>&1 ||
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null; }
}

# --- tools -------------------------------------------------------------------
scripts/need-node.sh || die "node is required"
scripts/need-python.sh || die "python3 is required (the static build is served by python3 -m http.server)"
if ! command -v npm >/dev/null 2>&1; then
	echo "e2e: npm not found: installing Debian's npm" >&2
	apt_install npm || true
	command -v npm >/dev/null 2>&1 || die "npm is required (to install e2e/node_modules) and could not be installed"
fi
if [ ! -x "$CHROMIUM" ]; then
	echo "e2e: $CHROMIUM not found: installing Debian's chromium" >&2
	[ "$CHROMIUM" = /usr/bin/chromium ] && apt_install chromium || true
	[ -x "$CHROMIUM" ] || die "Chromium is required at $CHROMIUM (Debian package chromium, or set CHROMIUM=/path) and could not be installed"
fi

# e2e/node_modules: (re)installed from package-lock.json when missing or stale
# (playwright-core drives Chromium, axe-core checks accessibility).
stale=$(node -e '
const lock = require("./e2e/package-lock.json");
const out = [];
for (const name of Object.keys(lock.packages[""].dependencies || {})) {
  const want = lock.packages["node_modules/" + name].version;
  let have = "none";
  try { have = require("./e2e/node_modules/" + name + "/package.json").version; } catch {}
  if (have !== want) out.push(name + " " + want + " (installed: " + have + ")");
}
console.log(out.join(", "));')
if [ -n "$stale" ] || [ ! -f e2e/node_modules/.package-lock.json ] ||
	[ e2e/package-lock.json -nt e2e/node_modules/.package-lock.json ]; then
	echo "e2e: npm ci in e2e/ ${stale:-(lock file changed)}" >&2
	(cd e2e && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error) ||
		die "npm ci in e2e/ failed (the npm registry must be reachable the first time)"
fi

# --- build -------------------------------------------------------------------
t0=$(date +%s)
make --no-print-directory build >/dev/null || die "make build (bin/ebios with the app embedded) failed"
echo "e2e: built bin/ebios with the app embedded: web/app.wasm ($(wc -c < web/app.wasm) bytes) and web/mcworker.wasm ($(wc -c < web/mcworker.wasm) bytes) in $(( $(date +%s) - t0 )) s"

# --- server ------------------------------------------------------------------
DIR=$(mktemp -d)
PID=
cleanup() {
	if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
		kill -TERM "$PID" 2>/dev/null || true
		i=0
		while kill -0 "$PID" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
		kill -KILL "$PID" 2>/dev/null || true
	fi
	rm -rf "$DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

PORT=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
URL="http://127.0.0.1:$PORT"
bin/ebios serve --dev --data-dir "$DIR/data" --listen "127.0.0.1:$PORT" --log-level warn \
	> "$DIR/serve.out" 2> "$DIR/serve.err" &
PID=$!
i=0
until curl -fs "$URL/healthz" >/dev/null 2>&1; do
	if ! kill -0 "$PID" 2>/dev/null || [ $i -ge 150 ]; then
		echo "e2e: server output:" >&2; cat "$DIR/serve.out" "$DIR/serve.err" >&2
		die "the server did not become healthy at $URL/healthz within 15 s"
	fi
	sleep 0.1; i=$((i + 1))
done
echo "e2e: server pid $PID at $URL"

# --- tests -------------------------------------------------------------------
mkdir -p "$E2E_OUT"
rm -f "$E2E_OUT"/[0-9]-*.png "$E2E_OUT"/audit-*.png "$E2E_OUT"/explorer-*.png "$E2E_OUT"/analysis-*.png "$E2E_OUT"/FAILED-*.png
status=0
# calc.test.mjs last: its offline test stops the shared server.
# explorer.test.mjs and analysis.test.mjs run a server of their own,
# static.test.mjs a static host, crossorigin.test.mjs a server and two
# static hosts of its own, widget.test.mjs a server and two host pages,
# worker.test.mjs the Worker in workerd and a static host.
for t in ${E2E_TESTS:-e2e/audit.test.mjs e2e/ed25519pool.test.mjs e2e/explorer.test.mjs e2e/static.test.mjs e2e/crossorigin.test.mjs e2e/analysis.test.mjs e2e/widget.test.mjs e2e/worker.test.mjs e2e/calc.test.mjs}; do
	EBIOS_URL="$URL" EBIOS_SERVER_PID="$PID" EBIOS_BIN="$ROOT/bin/ebios" CHROMIUM="$CHROMIUM" E2E_OUT="$E2E_OUT" \
		node --test --test-reporter=spec "$t" || { status=$?; break; }
done
if [ "$status" != 0 ]; then
	echo "e2e: server stderr (last lines):" >&2; tail -n 20 "$DIR/serve.err" >&2 || true
	die "end-to-end tests failed (exit $status); screenshots in $E2E_OUT"
fi
echo "e2e: OK; screenshots in $E2E_OUT"
