# eBIOS build. The two commands that matter: `make run` and `make test`.
GO      ?= go
GOROOT  := $(shell $(GO) env GOROOT)
WASMEXEC := $(GOROOT)/lib/wasm/go_js_wasm_exec
# The stock wasm runner passes the whole environment to node and fails when it
# is large, so the wasm tests run in a minimal one.
WASMENV := env -i PATH="$(PATH)" HOME="$(HOME)" GOCACHE="$(shell $(GO) env GOCACHE)" \
	GOMODCACHE="$(shell $(GO) env GOMODCACHE)" GOPROXY="$(shell $(GO) env GOPROXY)" GOOS=js GOARCH=wasm

.PHONY: all build wasm static run firstvisit widget-bench test lint worker worker-test gosec vulncheck unit race wasm-test proofs e2e audit-bench load fuzz bench clean readbench pgbench membench docs certify

all: build

## build: bin/ebios, one self-contained, static (CGO_ENABLED=0) binary: the
## browser app (make wasm) is embedded (server/webassets), and VERSION
## (default: git describe) is stamped into it (ebios --version). It is the
## binary the container image takes (deploy/container/Containerfile.prebuilt).
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo unknown)
build: wasm
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "-X main.buildVersion=$(VERSION)" -o bin/ebios ./server/cmd/ebios

## wasm: the browser app (go-app PWA), its analysis worker (Monte Carlo
## in a Web Worker) and the embeddable widget (wasm/widget, with its loader
## web/widget/ebios.js built by server/widget/cmd/widgetjs) in ./web, then copied with web/'s styles, icons and
## scripts into server/webassets/dist (embedded by make build) with brotli
## and gzip forms at best compression (server/webassets/cmd/webassets; an
## unchanged file is not compressed again).
wasm:
	GOOS=js GOARCH=wasm $(GO) build -trimpath -ldflags="-s -w" -o web/app.wasm ./wasm/app
	GOOS=js GOARCH=wasm $(GO) build -trimpath -ldflags="-s -w" -o web/mcworker.wasm ./wasm/mcworker
	GOOS=js GOARCH=wasm $(GO) build -trimpath -ldflags="-s -w" -o web/widget/widget.wasm ./wasm/widget
	$(GO) run ./server/widget/cmd/widgetjs --src wasm/widget/js --pool web --out web/widget --wasm-exec "$(GOROOT)/lib/wasm/wasm_exec.js"
	$(GO) run ./server/webassets/cmd/webassets --web web --out server/webassets/dist

## static: the browser app as a static website in STATIC_DIR for any static
## host; API_URL=https://... points its online pages at an ebios API.
STATIC_DIR ?= static
API_URL ?=
static: build
	./bin/ebios static --out $(STATIC_DIR) $(if $(API_URL),--api $(API_URL))

## run: build and start the server on the BuntDB default under ./data (--dev
## makes a development ledger key on first start). It prints the URL and how
## to create the first admin. Stop it with Ctrl-C.
run: build
	./bin/ebios serve --dev --data-dir ./data

## docs: the documentation site in DOCS_DIR (default build/docs; open
## build/docs/index.html): regenerates docs/api.md (from the OpenAPI document
## and the route table) and docs/errors.md (from the code's error-code
## constants), renders README.md and docs/*.md with goldmark, and fails on a
## broken link or anchor (internal/docsite).
DOCS_DIR ?= build/docs
docs:
	$(GO) run ./internal/docsite/cmd/docsite gen
	$(GO) run ./internal/docsite/cmd/docsite build --out $(DOCS_DIR)

## certify: the certification evidence bundle in CERTIFY_DIR/ebios-evidence-VERSION
## (docs/certification.md): checks the governance sources, runs every test
## with coverage (CERTIFY_TESTFLAGS=-short for the short suite; the bundle
## then lists what was skipped), and writes and seals the bundle. It fails,
## after writing the bundle, when a test failed. Not part of `make test`.
CERTIFY_DIR ?= build/certify
CERTIFY_VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo unknown)
CERTIFY_TESTFLAGS ?=
CERTIFY_RUN := $(CERTIFY_DIR)/run-$(CERTIFY_VERSION)
certify:
	@scripts/need-python.sh
	$(GO) run ./governance/evidence/cmd/evidence check
	@rm -rf $(CERTIFY_RUN) && mkdir -p $(CERTIFY_RUN)
	$(GO) test -count=1 -json -coverprofile=$(CERTIFY_RUN)/cover.out $(CERTIFY_TESTFLAGS) ./... > $(CERTIFY_RUN)/go-test.json; \
		echo $$? > $(CERTIFY_RUN)/exit-status
	$(GO) run ./governance/evidence/cmd/evidence build --out $(CERTIFY_DIR) --version $(CERTIFY_VERSION) \
		--test-json $(CERTIFY_RUN)/go-test.json --cover $(CERTIFY_RUN)/cover.out --test-exit-file $(CERTIFY_RUN)/exit-status \
		--test-command "$(strip go test -count=1 -json -coverprofile=cover.out $(CERTIFY_TESTFLAGS) ./...)"

## test: the whole suite.
test: lint unit race wasm-test proofs e2e worker-test

## worker: the Cloudflare Worker edition in wasm/worker/build: syumai/workers'
## JS glue (workers-assets-gen) and the Go wasm (docs/worker.md). Deploy
## with `cd wasm/worker && npx wrangler deploy` after it.
worker:
	$(GO) run github.com/syumai/workers/cmd/workers-assets-gen -mode=go -o wasm/worker/build
	GOOS=js GOARCH=wasm $(GO) build -trimpath -ldflags "-s -w -X main.version=$(VERSION)" -o wasm/worker/build/app.wasm ./wasm/worker

## worker-test: the Worker in workerd (wrangler dev --local, npm wrangler
## pinned by wasm/worker/package-lock.json and installed with npm ci) on a
## loopback port: concurrency, persistence across restarts, the routes
## (wasm/worker/local). Reports its figures with -v.
worker-test: worker
	@scripts/need-node.sh
	$(GO) test -count=1 -timeout 20m -v -run . ./wasm/worker/local

## lint: gofmt, go vet (also of the browser and Worker code for GOOS=js), staticcheck (honnef.co/go/tools, pinned in go.mod as a
## tool) and gosec (make gosec).
lint:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	GOOS=js GOARCH=wasm $(GO) vet ./app/... ./wasm/... ./core/...
	$(GO) tool staticcheck ./...
	$(MAKE) --no-print-directory gosec

## gosec: github.com/securego/gosec/v2, pinned as a tool in tools/gosec.mod (a
## go.mod of its own, so that gosec's dependencies stay out of the server's
## module graph; tools/gosec.sum fixes their hashes; `go tool
## -modfile=tools/gosec.mod gosec` runs it too). It fails on any finding, and
## on a #nosec that does not name its rules or give a reason after "--". Test
## files are not scanned (no -tests). .gosec.json holds the G104 allowlist;
## docs/security.md#static-analysis gives the reasons. core/, app/ and wasm/ run in the
## browser, so they are scanned again as GOOS=js GOARCH=wasm builds them.
## GOSEC_PKGS=./server/api/... scans some packages only (GOSEC_JS_PKGS= skips
## the second pass).
GOSEC_PKGS ?= ./...
GOSEC_JS_PKGS ?= ./core/... ./app/... ./wasm/...
GOSEC_FLAGS := -conf .gosec.json -nosec-require-rules -nosec-require-justification -fmt text -color=false -terse
# testdata/ and directories starting with _ (such as make docs's build/docs/_src
# copies) are not Go code of the project (the go command skips them too),
# and internal/staticanalysis/testdata holds the planted defects that
# TestGosecFailsOnPlantedDefect feeds to this target.
GOSEC_EXCLUDE := -exclude-dir='(^|/)(testdata|_[^/]*)(/|$$)'
gosec:
	$(GO) build -modfile=tools/gosec.mod -o bin/gosec github.com/securego/gosec/v2/cmd/gosec
	bin/gosec $(GOSEC_FLAGS) $(GOSEC_EXCLUDE) $(GOSEC_PKGS)
	$(if $(GOSEC_JS_PKGS),GOOS=js GOARCH=wasm bin/gosec $(GOSEC_FLAGS) $(GOSEC_EXCLUDE) $(GOSEC_JS_PKGS))

## vulncheck: govulncheck (golang.org/x/vuln v1.9.0, pinned as a tool in
## tools/govulncheck.mod) over the module's packages. It downloads
## the Go vulnerability database each time, so it is not part of make test
## (this workplace cannot reach it); run it where the database can be reached.
vulncheck:
	$(GO) tool -modfile=tools/govulncheck.mod govulncheck ./...

## unit: every package's tests, with the ones that start real programs
## (PostgreSQL, podman, Prometheus, pebble, nginx, caddy, the DR drill);
## -timeout 30m because deploy's container test makes a static build of its
## own, which takes minutes when the build cache is cold. The Worker in
## workerd (wasm/worker/local) is left to worker-test, which make test runs.
unit:
	@scripts/need-python.sh
	$(GO) test -count=1 -timeout 30m $$($(GO) list ./... | grep -v '/wasm/worker/local$$')

## race: the server packages under the race detector. TestTornWriteSweep
## (one goroutine cutting a store file at every offset; about 4 minutes
## under -race) runs in `make unit` only.
race:
	$(GO) test -race -short -count=1 -skip '^TestTornWriteSweep$$' ./server/...

wasm-test:
	@scripts/need-node.sh
	$(WASMENV) $(GO) test -count=1 -exec="$(WASMEXEC)" ./core/... ./wasm/widget/widgetapi

## e2e: the browser app in headless Chromium against a real server (installs
## Debian chromium and e2e/node_modules when missing).
e2e:
	scripts/e2e.sh

## proofs: install Coq from Debian if needed, check every proof, and test the checker.
proofs:
	$(MAKE) -C proofs check test

## audit-bench: the in-browser audit of a 100,000-entry bundle in headless Chromium (ENTRIES=N to change).
audit-bench:
	E2E_TESTS=e2e/audit-bench.mjs scripts/e2e.sh

## firstvisit: the first visit in headless Chromium with an empty profile,
## navigation to the first computed result, at localhost and at 10 Mbps
## (a paced TCP link, e2e/link.mjs, and DevTools' throttle), app.wasm
## brotli, gzip and uncompressed (RUNS=N runs each, default 3;
## docs/benchmarks.md). Reports figures, not a test.
firstvisit:
	E2E_TESTS=e2e/firstvisit.mjs scripts/e2e.sh

## widget-bench: the embeddable widget's sizes (plain, gzip, brotli) and
## its time to the first computed result on a page of another origin, cold
## and warm, in headless Chromium (RUNS=N, default 5; docs/benchmarks.md).
widget-bench:
	E2E_TESTS=e2e/widget-bench.mjs scripts/e2e.sh

## load: 60 s of POST /operations/execute at 64 connections against a real server (wrk).
load:
	scripts/load.sh

## pgbench: the PostgreSQL store (Debian postgresql, installed when missing): durable appends/s through
## 1 and 3 servers vs BuntDB in one run (EBIOS_BENCH_SECONDS per round, default 10, 3 rounds), then reads on a
## 1,000,000-entry log in PostgreSQL (EBIOS_READBENCH_N). Reports figures, not a test.
pgbench:
	$(GO) test -run '^$$' -bench 'BenchmarkDurableAppends|BenchmarkReadsPostgres' -benchtime 1x -timeout 60m -v ./server/cmd/ebios

## readbench: trace, guard events and query on a 1,000,000-entry log (N=...), and a verify job while they run.
readbench:
	scripts/readbench.sh

## membench: resident memory and open time of a reopened store of MEMBENCH_N entries (default 5,000,000; the store is kept in $TMPDIR/ebios-membench-N).
MEMBENCH_N ?= 5000000
membench:
	$(GO) run ./e2e/membench -n $(MEMBENCH_N)

## fuzz: run each of the 22 fuzz targets for FUZZTIME (default 30s), one after
## another. FUZZ_TARGETS lists them as package:Name; TestFuzzTargetsListed keeps
## the list complete.
FUZZTIME ?= 30s
FUZZ_TARGETS := \
	core/nu:FuzzParse \
	core/nu:FuzzApply \
	core/nu:FuzzFormatStyle \
	core/nu:FuzzUnmarshalNU \
	core/gum:FuzzOps \
	core/expr:FuzzEval \
	core/expr:FuzzMonteCarlo \
	core/pmath:FuzzFunctions \
	core/ledger:FuzzReadBundle \
	core/ledger:FuzzParseLeaf \
	core/strictjson:FuzzUnmarshal \
	core/policy:FuzzParse \
	server/ledgerstore:FuzzBatchRow \
	server/ledgerstore:FuzzRepairTail \
	server/operation:FuzzInput \
	server/api:FuzzExecute \
	server/api:FuzzStrictBody \
	server/auth:FuzzDecodeHash \
	server/auth:FuzzBearerToken \
	server/ratelimit:FuzzClientAddr \
	server/ratelimit:FuzzParseRule \
	server/serve:FuzzForwardedClient \
	server/config:FuzzParseINI
fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; \
		echo "== $$pkg $$name ($(FUZZTIME))"; \
		$(GO) test ./$$pkg -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME); \
	done

## bench: benchmarks of the N/U core; nu vs bare float64 compared by benchstat.
BENCHSTAT := $(shell $(GO) env GOPATH)/bin/benchstat
bench:
	@test -x $(BENCHSTAT) || $(GO) install golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da
	$(GO) test ./core/nu -run '^$$' -bench . -benchmem -count 6 | tee bench.out
	$(BENCHSTAT) -filter '.name:(Add|Mul)' -col /impl bench.out

clean:
	rm -rf bin static build
	find server/webassets/dist -type f ! -name README.md -delete
