#!/usr/bin/env python3
"""Re-verify a Debrief journal export (`debrief incident export`) with only Python's standard library.

An independent implementation of docs/journal.md: it shares no code with Debrief.
Usage: python3 verify_export.py EXPORT.json   (exit 0 when the chain holds, 1 otherwise)
"""
import hashlib
import json
import sys

ZERO = "0" * 64
HASHED_FIELDS = ("incident", "seq", "recorded_at", "actor", "kind", "payload", "prev_hash")


def canonical(value):
    """Sorted keys, no white space, UTF-8 as is: the canonical encoding of docs/journal.md."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def sha256_hex(data):
    return hashlib.sha256(data).hexdigest()


def verify(doc):
    problems = []
    prev = ZERO
    for expected_seq, entry in enumerate(doc["entries"], start=1):
        where = f"entry {entry.get('seq')}"
        if entry["seq"] != expected_seq:
            problems.append(f"{where}: expected sequence number {expected_seq}")
        if entry["prev_hash"] != prev:
            problems.append(f"{where}: prev_hash does not match the previous entry's hash")
        computed = sha256_hex(canonical({k: entry[k] for k in HASHED_FIELDS}))
        if computed != entry["hash"]:
            problems.append(f"{where}: content hashes to {computed}, not the stored {entry['hash']}")
        ledger = '{"gseq":%d,"hash":"%s","ledger_prev":"%s"}' % (entry["gseq"], entry["hash"], entry["ledger_prev"])
        if sha256_hex(ledger.encode("ascii")) != entry["ledger_hash"]:
            problems.append(f"{where}: ledger_hash does not match")
        prev = entry["hash"]
    if doc.get("head_hash") not in (None, prev):
        problems.append(f"head_hash {doc['head_hash']} is not the last entry's hash {prev}")
    return problems


def main(argv):
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as f:
        doc = json.load(f)
    problems = verify(doc)
    for p in problems:
        print(p)
    if problems:
        print(f"BROKEN: {len(problems)} problem(s) in {len(doc['entries'])} entries")
        return 1
    print(f"OK: {len(doc['entries'])} entries, head {doc.get('head_hash')}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
