#!/bin/sh
# make readbench: reads on a 1,000,000-entry log (N=...). It builds the log
# once through the real store (e2e/readbench gen: AppendBatch of 4096
# drafts, signed and fsynced, about a third with a parent, 5 % with guard
# events, jittered timestamps; kept in READBENCH_DIR for the next run,
# READBENCH_FRESH=1 to make it again), starts the real server on it, waits
# for the read index, and measures p50/p99 of trace, guard events and query
# over REQS requests each, one at a time (e2e/readbench run). Then it starts
# a whole-log verify job and measures the same reads while the job runs,
# printing the job's progress, and the server's resident memory.
set -eu
cd "$(dirname "$0")/.."
N="${N:-1000000}"
PORT="${PORT:-18444}"
REQS="${REQS:-300}"
DIR="${READBENCH_DIR:-${TMPDIR:-/tmp}/ebios-readbench-$N}"
go build -o bin/ebios ./server/cmd/ebios
go build -o bin/readbench ./e2e/readbench
if [ -n "${READBENCH_FRESH:-}" ] || [ ! -f "$DIR/.complete" ]; then
	rm -rf "$DIR"
	echo "generating a $N-entry log in $DIR (kept for the next run)"
	bin/readbench gen -n "$N" -data "$DIR"
	printf 'operator passphrase for readbench\n' | bin/ebios user add --data-dir "$DIR" --role operator reader >/dev/null
	touch "$DIR/.complete"
fi
OUT=$(mktemp -d)
trap 'kill $PID 2>/dev/null || true; rm -rf "$OUT"' EXIT
START=$(date +%s.%N)
bin/ebios serve --data-dir "$DIR" --ledger-key "$DIR/ledger.key" --listen "127.0.0.1:$PORT" \
	--rate-limit-allowlist 127.0.0.1 --log-level info > "$OUT/serve.out" 2> "$OUT/serve.err" &
PID=$!
for i in $(seq 600); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
UP=$(date +%s.%N)
EBIOS_TOKEN=$(curl -fs -X POST "http://127.0.0.1:$PORT/auth/login" -H 'Content-Type: application/json' \
	-d '{"username":"reader","password":"operator passphrase for readbench"}' | sed 's/.*"access_token":"\([^"]*\)".*/\1/')
export EBIOS_TOKEN
# The read index is built in the background after the start; until it is
# near the end of the log, trace and guard events answer 503.
until [ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $EBIOS_TOKEN" \
	"http://127.0.0.1:$PORT/api/v1/guard/events?limit=1")" = 200 ]; do sleep 0.05; done
READY=$(date +%s.%N)
awk -v s="$START" -v u="$UP" -v r="$READY" 'BEGIN { printf "server up after %.2f s; trace and guard events answered (read index near the end) after %.2f s\n", u - s, r - s }'
sleep 1
grep -h '"read index built"' "$OUT/serve.err" || true
echo "server RSS after start: $(ps -o rss= -p $PID) KiB"
bin/readbench run -url "http://127.0.0.1:$PORT" -n "$N" -reqs "$REQS" -verify
echo "server RSS at the end: $(ps -o rss= -p $PID) KiB"
grep -h '"verify job finished"' "$OUT/serve.err" || true
[ -z "${READBENCH_LOG:-}" ] || cp "$OUT/serve.err" "$READBENCH_LOG"
kill -INT $PID; wait $PID || true
