#!/bin/sh
# Installs the Coq toolchain the proofs need (Coq 8.16, Flocq; Interval as in
# docs/DESIGN) from Debian packages, but only when coqc or Flocq is missing.
# Fails with a clear message when it cannot.
set -eu

PKGS="coq libcoq-stdlib libcoq-flocq libcoq-interval"

have_toolchain() {
    command -v coqc >/dev/null 2>&1 || return 1
    command -v coq_makefile >/dev/null 2>&1 || return 1
    t=$(mktemp -d) || return 1
    printf 'From Flocq Require Import Core Plus_error Mult_error Pff2Flocq.\n' >"$t/FlocqProbe.v"
    if (cd "$t" && coqc -q FlocqProbe.v) >/dev/null 2>&1; then
        rm -rf "$t"; return 0
    fi
    rm -rf "$t"; return 1
}

if have_toolchain; then
    exit 0
fi

echo "install-deps: coqc or Flocq missing; installing Debian packages: $PKGS" >&2

if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-deps: ERROR: apt-get not found. Install Coq 8.16 and Flocq 4 by hand" >&2
    echo "  (Debian/Ubuntu: apt-get install $PKGS)." >&2
    exit 1
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        SUDO="sudo -n"
    else
        echo "install-deps: ERROR: not root and no password-less sudo; run as root:" >&2
        echo "  apt-get install -y $PKGS" >&2
        exit 1
    fi
fi

export DEBIAN_FRONTEND=noninteractive
# shellcheck disable=SC2086
if ! $SUDO apt-get install -y --no-install-recommends $PKGS >&2; then
    echo "install-deps: first attempt failed; running apt-get update and retrying" >&2
    # shellcheck disable=SC2086
    $SUDO apt-get update >&2 || true
    # shellcheck disable=SC2086
    if ! $SUDO apt-get install -y --no-install-recommends $PKGS >&2; then
        echo "install-deps: ERROR: could not install $PKGS with apt-get." >&2
        exit 1
    fi
fi

if ! have_toolchain; then
    echo "install-deps: ERROR: packages installed but coqc cannot load Flocq." >&2
    exit 1
fi
echo "install-deps: OK ($(coqc --version | head -n 1))" >&2
