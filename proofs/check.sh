#!/bin/sh
# Audits the compiled proofs. Fails (exit 1) when
#   - a .v file in this directory is not compiled (missing from _CoqProject
#     or without an up-to-date .vo);
#   - any source, outside comments, contains Admitted, admit, Admit, give_up, Abort,
#     Axiom(s), Parameter(s), Conjecture(s), Hypothesis/Hypotheses,
#     Variable(s), Context, Declare ML Module, or switches a kernel check off;
#   - theorems.txt does not list exactly the Theorems of the sources;
#   - `Print Assumptions` of any listed theorem, or of any Lemma, reports
#     anything except the axioms in allowed-axioms.txt.
# Usage: sh check.sh                    (everything)
#        sh check.sh --assumptions-only (only the Print Assumptions audit;
#                                        used by check_test.sh to show that
#                                        this layer alone catches a cheat)
set -eu
cd "$(dirname "$0")"

mode=${1:-all}
fail=0
err() { echo "check: FAIL: $*" >&2; fail=1; }

command -v coqc >/dev/null 2>&1 || { echo "check: FAIL: coqc not found (run install-deps.sh)" >&2; exit 1; }
command -v perl >/dev/null 2>&1 || { echo "check: FAIL: perl not found" >&2; exit 1; }

VFILES=$(ls ./*.v | sed 's|^\./||' | sort)
[ -n "$VFILES" ] || { echo "check: FAIL: no .v files" >&2; exit 1; }

mkdir -p .check
# Sources with (nested) comments removed; string literals are not used here.
for f in $VFILES; do
    perl -0777 -pe '1 while s/\(\*(?:(?!\(\*|\*\)).)*\*\)/ /gs' "$f" >".check/$f.nc"
done

if [ "$mode" != "--assumptions-only" ]; then
    # 1. every .v file is in _CoqProject and compiled
    for f in $VFILES; do
        grep -qx "$f" _CoqProject || err "$f is not listed in _CoqProject (it would not be compiled)"
        vo="${f%.v}.vo"
        if [ ! -f "$vo" ]; then err "$f is not compiled ($vo missing)"
        elif [ "$f" -nt "$vo" ]; then err "$vo is older than $f"; fi
    done

    # 2. forbidden vernacular and tactics
    for f in $VFILES; do
        hits=$(grep -nwE 'Admitted|admit|Admit|give_up|Abort|Axiom|Axioms|Parameter|Parameters|Conjecture|Conjectures|Hypothesis|Hypotheses|Variable|Variables|Context' ".check/$f.nc" || true)
        [ -z "$hits" ] || err "$f contains a forbidden command (outside comments):
$hits"
        hits=$(grep -nE 'Declare[[:space:]]+ML|Unset[[:space:]]+(Guard|Positivity|Universe)[[:space:]]+Checking|bypass_check|Type[[:space:]]*In[[:space:]]*Type|Local[[:space:]]+Set[[:space:]]+Universe' ".check/$f.nc" || true)
        [ -z "$hits" ] || err "$f disables a kernel check or loads a plugin:
$hits"
    done

    # 3. theorems.txt lists exactly the Theorems
    grep -vE '^[[:space:]]*(#|$)' theorems.txt | sed 's/[[:space:]]//g' | sort >.check/listed
    for f in $VFILES; do
        perl -ne 'print "'"$f"':$1\n" while /(?:^|[\s.])Theorem\s+([A-Za-z_][A-Za-z0-9_'"'"']*)/g' ".check/$f.nc"
    done | sort >.check/declared
    missing=$(comm -13 .check/listed .check/declared)
    extra=$(comm -23 .check/listed .check/declared)
    [ -z "$missing" ] || err "Theorems not listed in theorems.txt:
$missing"
    [ -z "$extra" ] || err "theorems.txt lists names that are not Theorems of that file:
$extra"
fi

# 4. Print Assumptions for every listed theorem and every Lemma
grep -vE '^[[:space:]]*(#|$)' theorems.txt | sed 's/[[:space:]]//g' >.check/targets
for f in $VFILES; do
    perl -ne 'print "'"$f"':$1\n" while /(?:^|[\s.])Lemma\s+([A-Za-z_][A-Za-z0-9_'"'"']*)/g' ".check/$f.nc"
done >>.check/targets
ntargets=$(wc -l <.check/targets)
[ "$ntargets" -gt 0 ] || err "theorems.txt lists no theorem"

# All targets are combined into one proof term (a conjunction), so one
# Print Assumptions covers them all: the axioms of a conjunction are the union
# of the axioms of its parts. A cheated theorem shows up under its own name
# (an Admitted theorem is an axiom), so the report still names the culprit.
{
    echo "From Coq Require Import Reals."
    for f in $VFILES; do echo "From EBIOS Require ${f%.v}."; done
    echo "Definition audit_all :="
    while IFS=: read -r file name; do
        echo "  (conj (EBIOS.${file%.v}.$name) ("
    done <.check/targets
    printf '    I'
    while IFS=: read -r file name; do printf '))'; done <.check/targets
    echo "."
    echo "Print Assumptions audit_all."
} >.check/Audit.v

if ! (cd .check && coqc -q -R .. EBIOS Audit.v) >.check/audit.out 2>&1; then
    cat .check/audit.out >&2
    err "Print Assumptions run failed (unknown theorem name or build problem)"
else
    allowed=$(grep -vE '^[[:space:]]*(#|$)' allowed-axioms.txt | sed 's/[[:space:]]//g')
    # Header lines start at column 0 (types continue indented). Allowed:
    # "Closed under the global context", "Axioms:", "<allowed axiom> : ...".
    # Anything else (another axiom, an Admitted theorem, "Section Variables",
    # unsafe-flag reports, ...) fails.
    bad=$(awk -v allowed="$allowed" '
        BEGIN { n = split(allowed, a, "\n"); for (i = 1; i <= n; i++) ok[a[i]] = 1 }
        /^[ \t]/ || /^$/ { next }
        /^Closed under the global context/ { next }
        /^Axioms:$/ { next }
        { name = $1; sub(/:$/, "", name); if (!(name in ok)) print }
    ' .check/audit.out)
    [ -s .check/audit.out ] || err "Print Assumptions printed nothing"
    [ -z "$bad" ] || err "assumptions outside allowed-axioms.txt:
$bad"
fi

if [ "$fail" -ne 0 ]; then
    echo "check: FAILED" >&2
    exit 1
fi
nthm=$(grep -cvE '^[[:space:]]*(#|$)' theorems.txt)
echo "check: OK: $(echo $VFILES | wc -w) files compiled; no Admitted/axioms in sources;"
echo "check: OK: Print Assumptions of $nthm theorems and $((ntargets - nthm)) lemmas use only:"
grep -vE '^[[:space:]]*(#|$)' allowed-axioms.txt | sed 's/^/check:   /'
