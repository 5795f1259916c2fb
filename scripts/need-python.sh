#!/bin/sh
# Installs Debian's python3 when it is missing: the ledger cross-check test
# reads bundles with Python's standard json module (standard library only).
set -eu
if [ -x /usr/bin/python3 ]; then exit 0; fi
echo "need-python: installing Debian python3" >&2
if ! { apt-get update -qq && apt-get install -y -qq python3; } >/dev/null 2>&1; then
	echo "need-python: cannot install python3 (apt-get failed); install it and run make test again" >&2
	exit 1
fi
