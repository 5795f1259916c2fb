#!/bin/sh
# make load: a real server on loopback, 64 connections of POST
# /operations/execute as an operator for DURATION (default 60s), every request
# appended durably to the BuntDB ledger. Prints wrk's summary and a RESULT line,
# then verifies the whole ledger. wrk runs one thread (THREADS) so that the
# load generator leaves the second core to the server; loopback is allowlisted
# from the rate limits, which would otherwise cap one client at 100/min.
set -eu
cd "$(dirname "$0")/.."
DURATION="${DURATION:-60s}"
CONNS="${CONNS:-64}"
PORT="${PORT:-18443}"
command -v wrk >/dev/null 2>&1 || {
	echo "wrk not found: installing Debian's wrk" >&2
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		apt-get install -y -qq wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
	fi
	command -v wrk >/dev/null 2>&1 || { echo "error: wrk is required for make load and could not be installed" >&2; exit 1; }
}
go build -o bin/ebios ./server/cmd/ebios
DIR=$(mktemp -d)
trap 'kill $PID 2>/dev/null || true; rm -rf "$DIR"' EXIT
bin/ebios key generate --out "$DIR/ledger.key" --name load.test/log > "$DIR/vkey" 2>/dev/null
printf 'operator passphrase for load\n' | bin/ebios user add --data-dir "$DIR" --role operator loader >/dev/null
EBIOS_CPUPROFILE="${EBIOS_CPUPROFILE:-}" EBIOS_TRACE="${EBIOS_TRACE:-}" EBIOS_MEMPROFILE="${EBIOS_MEMPROFILE:-}" bin/ebios serve --data-dir "$DIR" --ledger-key "$DIR/ledger.key" --listen "127.0.0.1:$PORT" \
	--rate-limit-allowlist 127.0.0.1 --log-level warn > "$DIR/serve.out" 2> "$DIR/serve.err" &
PID=$!
for i in $(seq 50); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
EBIOS_TOKEN=$(curl -fs -X POST "http://127.0.0.1:$PORT/auth/login" -H 'Content-Type: application/json' \
	-d '{"username":"loader","password":"operator passphrase for load"}' | sed 's/.*"access_token":"\([^"]*\)".*/\1/')
export EBIOS_TOKEN
wrk -t "${THREADS:-1}" -c "$CONNS" -d "$DURATION" --latency -s scripts/load.lua "http://127.0.0.1:$PORT/operations/execute"
kill -INT $PID; wait $PID || true
bin/ebios ledger verify --data-dir "$DIR" --key "$(cat "$DIR/vkey")"
