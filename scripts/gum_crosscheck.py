#!/usr/bin/env python3
"""Evaluate first-order uncertainty propagation cases with Python's
uncertainties package (Debian's python3-uncertainties), as the second
implementation that the differential tests of core/gum and core/expr compare
with (core/gum/crosscheck_test.go, core/expr/crosscheck_test.go).

Usage: gum_crosscheck.py CASES.json

CASES.json is {"cases": [case, ...]}; a case is
  {"inputs": [[n, u], ...], "corr": [[r, ...], ...] or null,
   "vars": [EXPR, ...] (optional), "expr": EXPR}
where EXPR is a JSON array in prefix form:
  ["x", i]               input i
  ["v", j]               the value of vars[j] (evaluated once, in order; an
                         EXPR of vars[j] may refer to vars[0..j-1])
  ["c", k]               the exact constant k
  ["pi"], ["e"]          math.pi, math.e
  ["u", n, u]            a fresh independent ufloat(n, u) at each evaluation
  ["add"|"sub"|"mul"|"div", A, B]
  ["neg", A]
  ["sqrt"|"exp"|"log"|"log10"|"sin"|"cos"|"tan"|"asin"|"acos"|"atan"|
   "sinh"|"cosh"|"tanh", A]   umath's function
  ["log2", A]            umath.log(A, 2)
  ["abs", A]             abs(A)
  ["atan2"|"hypot", A, B]    umath.atan2(A, B) (A is the ordinate), umath.hypot
  ["min"|"max", A, B]    Python's min(A, B), max(A, B) (by nominal value;
                         the first argument at a tie)
  ["pow", A, k]          A ** k for the exact exponent k
  ["pow2", A, B]         A ** B (B may be uncertain)
Inputs are ufloat(n, u) when corr is null, else correlated_values_norm of
the (n, u) pairs and the correlation matrix corr. A subexpression that
appears twice is evaluated twice: the two results are distinct objects with
the same dependence on the inputs, as in the Go tests; a var is one object.

Prints {"version": uncertainties.__version__, "results": [result, ...]}
with one result per case, {"n": nominal, "u": std_dev}, or {"error": text}
when the case could not be evaluated. Floats are printed with repr, so they
read back exactly.
"""
import json
import math
import sys

import uncertainties
from uncertainties import correlated_values_norm, ufloat, umath

FUNCS = {name: getattr(umath, name) for name in
         ("sqrt", "exp", "log", "log10", "sin", "cos", "tan", "asin", "acos",
          "atan", "sinh", "cosh", "tanh")}
FUNCS["log2"] = lambda a: umath.log(a, 2)
FUNCS["abs"] = abs
FUNCS2 = {"atan2": umath.atan2, "hypot": umath.hypot, "min": min, "max": max,
          "pow2": lambda a, b: a ** b}


def ev(e, xs, vs=()):
    op = e[0]
    if op == "x":
        return xs[e[1]]
    if op == "v":
        return vs[e[1]]
    if op == "c":
        return float(e[1])
    if op == "pi":
        return math.pi
    if op == "e":
        return math.e
    if op == "u":
        return ufloat(float(e[1]), float(e[2]))
    if op == "add":
        return ev(e[1], xs, vs) + ev(e[2], xs, vs)
    if op == "sub":
        return ev(e[1], xs, vs) - ev(e[2], xs, vs)
    if op == "mul":
        return ev(e[1], xs, vs) * ev(e[2], xs, vs)
    if op == "div":
        return ev(e[1], xs, vs) / ev(e[2], xs, vs)
    if op == "neg":
        return -ev(e[1], xs, vs)
    if op == "pow":
        return ev(e[1], xs, vs) ** float(e[2])
    if op in FUNCS:
        return FUNCS[op](ev(e[1], xs, vs))
    if op in FUNCS2:
        return FUNCS2[op](ev(e[1], xs, vs), ev(e[2], xs, vs))
    raise ValueError("unknown operation %r" % (op,))


def inputs(case):
    pairs = [(float(n), float(u)) for n, u in case["inputs"]]
    if case.get("corr") is None:
        return [ufloat(n, u) for n, u in pairs]
    return list(correlated_values_norm(pairs, case["corr"]))


def run(case):
    try:
        xs = inputs(case)
        vs = []
        for x in case.get("vars") or ():
            vs.append(ev(x, xs, vs))
        v = ev(case["expr"], xs, vs)
        if isinstance(v, uncertainties.UFloat):
            n, u = float(v.nominal_value), float(v.std_dev)
        else:
            n, u = float(v), 0.0
        if not (math.isfinite(n) and math.isfinite(u)):
            return {"error": "non-finite result %r ± %r" % (n, u)}
        return {"n": n, "u": u}
    except Exception as exc:  # reported per case; the test fails on it
        return {"error": "%s: %s" % (type(exc).__name__, exc)}


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: gum_crosscheck.py CASES.json")
    with open(sys.argv[1]) as f:
        cases = json.load(f)["cases"]
    out = {"version": uncertainties.__version__, "results": [run(c) for c in cases]}
    json.dump(out, sys.stdout, allow_nan=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
