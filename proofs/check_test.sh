#!/bin/sh
# Tests the proof audit itself, on copies of the proofs in a temporary
# directory (the working tree is never modified):
#   (c) the unmodified copy passes `make check`;
#   (a) replacing a proof by `Admitted.` makes `make check` fail, and the
#       Print Assumptions layer alone (check.sh --assumptions-only) catches
#       it too;
#   (b) deleting one tactic line of a proof makes `make check` fail
#       (done once in every .v file);
#   (d) a top-level `Axiom` used by a proof makes `make check` fail.
# Exits non-zero if any expectation fails.
set -u
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/nu-proofs-test.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
failures=0
pass() { echo "check_test: PASS: $*"; }
fail() { echo "check_test: FAIL: $*" >&2; failures=$((failures + 1)); }

copy() {
    mkdir -p "$tmp/$1"
    cp "$here"/*.v "$here"/_CoqProject "$here"/Makefile "$here"/*.sh \
       "$here"/theorems.txt "$here"/allowed-axioms.txt "$tmp/$1/"
}
run_check() { make -s -C "$tmp/$1" check >"$tmp/$1.log" 2>&1; }

# Replaces the proof of theorem $3 in file $2 of copy $1 by `Admitted.`
admit_proof() {
    perl -0777 -i -pe 's/(\bTheorem\s+\Q'"$3"'\E\b.*?)Proof\..*?Qed\./$1Admitted./s or die "no proof of '"$3"'\n"' "$tmp/$1/$2"
}
# Deletes the last tactic line (the line before `Qed.`) of the first Theorem
# in file $2 of copy $1 whose proof spans several lines; reports the line.
delete_step() {
    perl -0777 -i -pe '
        my $done = 0;
        s{(\bTheorem\s+(\w+)\b.*?Qed\.)}{
            my ($blk, $t) = ($1, $2);
            if (!$done && $blk =~ s/\n([^\n]*)\n(Qed\.)$/\n$2/) {
                $done = 1; print STDERR "$t: deleted \"$1\"";
            }
            $blk
        }gse;
        die "no multi-line proof\n" unless $done;' "$tmp/$1/$2"
}

echo "check_test: working in $tmp"

# (c) unmodified copy passes
copy clean
if run_check clean; then pass "(c) unmodified proofs pass make check"
else fail "(c) unmodified proofs fail make check:"; tail -n 30 "$tmp/clean.log" >&2; fi

# (a) Admitted in place of a proof
copy admitted
if admit_proof admitted FloatInterval.v fl_imul_encloses; then
    if cmp -s "$here/FloatInterval.v" "$tmp/admitted/FloatInterval.v"; then
        fail "(a) mutation did not change the file"
    elif run_check admitted; then
        fail "(a) make check passed with an Admitted proof"
    elif ! grep -q "forbidden command" "$tmp/admitted.log"; then
        fail "(a) make check failed, but not because of Admitted:"; tail -n 20 "$tmp/admitted.log" >&2
    else
        pass "(a) Admitted proof rejected: FloatInterval.v line $(grep -m1 -A1 'forbidden command' "$tmp/admitted.log" | tail -n 1)"
    fi
    # The same cheat is caught by Print Assumptions alone (the .vo files
    # were built by the make check above: Admitted compiles).
    if sh "$tmp/admitted/check.sh" --assumptions-only >"$tmp/admitted2.log" 2>&1; then
        fail "(a) Print Assumptions audit alone accepted an Admitted proof"
    elif ! grep -Eq '^[A-Za-z.]*fl_imul_encloses( :|$)' "$tmp/admitted2.log"; then
        fail "(a) Print Assumptions audit failed without naming the theorem:"; cat "$tmp/admitted2.log" >&2
    else
        pass "(a) Print Assumptions alone also rejects it: $(grep -Em1 '^[A-Za-z.]*fl_imul_encloses( :|$)' "$tmp/admitted2.log" | cut -c1-60)"
    fi
else
    fail "(a) could not insert Admitted"
fi

# (b) one deleted proof step, in each file
for f in $(grep -E '\.v$' "$here/_CoqProject"); do
    name=step_${f%.v}
    copy "$name"
    if ! delete_step "$name" "$f" 2>"$tmp/$name.what"; then
        fail "(b) could not delete a step in $f"; continue
    fi
    what=$(cat "$tmp/$name.what")
    if cmp -s "$here/$f" "$tmp/$name/$f"; then
        fail "(b) mutation of $f did not change it"
    elif run_check "$name"; then
        fail "(b) make check passed after deleting a proof step in $f ($what)"
    elif ! grep -q "Error" "$tmp/$name.log"; then
        fail "(b) make check failed for another reason ($f):"; tail -n 20 "$tmp/$name.log" >&2
    else
        pass "(b) $f, $what -> $(grep -m1 'Error' "$tmp/$name.log")"
    fi
done

# (d) a new axiom
copy axiom
perl -0777 -i -pe 's/(\bTheorem\s+nu_flip_involutive\b.*?)Proof\..*?Qed\./Axiom cheat : False.\n$1Proof. destruct cheat. Qed./s or die' "$tmp/axiom/NUReal.v"
if run_check axiom; then fail "(d) make check passed with a new Axiom"
elif ! grep -q "forbidden command" "$tmp/axiom.log"; then
    fail "(d) make check failed, but not because of the Axiom:"; tail -n 20 "$tmp/axiom.log" >&2
else
    pass "(d) new Axiom rejected"
fi
if sh "$tmp/axiom/check.sh" --assumptions-only >"$tmp/axiom2.log" 2>&1; then
    fail "(d) Print Assumptions audit alone accepted the Axiom"
elif ! grep -Eq '^[A-Za-z.]*cheat( :|$)' "$tmp/axiom2.log"; then
    fail "(d) Print Assumptions audit failed without naming the axiom:"; cat "$tmp/axiom2.log" >&2
else
    pass "(d) Print Assumptions alone also rejects it: $(grep -Em1 '^[A-Za-z.]*cheat( :|$)' "$tmp/axiom2.log")"
fi

if [ "$failures" -ne 0 ]; then
    echo "check_test: $failures expectation(s) FAILED" >&2
    exit 1
fi
echo "check_test: OK: all expectations met"
