#!/bin/sh
# Ensures node is installed (the GOOS=js wasm tests run under it). Installs
# Debian's nodejs when missing and possible; fails clearly otherwise.
set -eu
command -v node >/dev/null 2>&1 && exit 0
echo "node not found: installing Debian's nodejs (needed to run the GOOS=js GOARCH=wasm tests)" >&2
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs >/dev/null && exit 0
fi
echo "error: node is required for the wasm tests and could not be installed; install Node.js >= 18 and rerun" >&2
exit 1
