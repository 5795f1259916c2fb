#!/usr/bin/env python3
"""Read eBIOS ledger bundles with Python's standard json module and print
what Python sees, so that a test can compare it with what the eBIOS
verifier verified (core/ledger/crosscheck_test.go).

Usage: crosscheck_bundle.py BUNDLE...

For each bundle, one JSON line: {"file": ..., "error": ...} when Python
cannot read it, else {"file": ..., "origin", "key", "checkpoint",
"entries": [...]} where every entry has all members of
docs/ledger-format.md section 3, absent optional ones as their empty value,
hashes and signatures as lower-case hex of the bytes Python's base64
decoder gives, and every number (n, u, coverage, guard value and
threshold) as the unsigned 64-bit integer of its IEEE 754 binary64 bits.
The index is printed as Python's str() of what it read. Standard library
only: this is a second reader, independent of Go.
"""
import base64
import json
import math
import struct
import sys


def bits(x):
    if x == "+Inf":
        x = math.inf
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise ValueError("not a number: %r" % (x,))
    return struct.unpack(">Q", struct.pack(">d", float(x)))[0]


def b64hex(s):
    return base64.b64decode(s).hex()


def value(v):
    return {"n": bits(v["n"]), "u": bits(v["u"])}


def entry(e):
    inv = e["invariant"]
    out = e.get("output")
    return {
        "index": str(e["index"]),
        "prev_hash": b64hex(e["prev_hash"]),
        "key_id": e["key_id"],
        "timestamp": e["timestamp"],
        "op_id": e["op_id"],
        "parent_op_id": e.get("parent_op_id", ""),
        "operation": e["operation"],
        "mode": e.get("mode", ""),
        "expression": e.get("expression", ""),
        "inputs": [value(v) for v in e["inputs"]],
        "output": value(out) if out is not None else None,
        "coverage": bits(e["coverage"]),
        "invariant": {"ok": inv["ok"], "message": inv.get("message", "")},
        "guard": [
            {
                "rule": g["rule"],
                "level": g["level"],
                "message": g.get("message", ""),
                "value": bits(g["value"]),
                "threshold": bits(g["threshold"]),
            }
            for g in e.get("guard", [])
        ],
        "policy_hash": b64hex(e["policy_hash"]) if "policy_hash" in e else "",
        "signature": b64hex(e["signature"]),
    }


def read(path):
    with open(path, "rb") as f:
        data = f.read()
    try:
        # Numbers are binary64 (docs/ledger-format.md section 3). Python's
        # default reads the integer -0 as int 0, losing the sign that the
        # signed canonical bytes keep; read it as the float -0.0.
        b = json.loads(data.decode("utf-8"), parse_int=lambda s: -0.0 if s == "-0" else int(s))
        return {
            "file": path,
            "origin": b["origin"],
            "key": b["key"],
            "checkpoint": b["checkpoint"],
            "entries": [entry(e) for e in b["entries"]],
        }
    except Exception as exc:  # what Python cannot read, we report
        return {"file": path, "error": "%s: %s" % (type(exc).__name__, exc)}


def main(argv):
    for path in argv[1:]:
        sys.stdout.write(json.dumps(read(path), ensure_ascii=True, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
