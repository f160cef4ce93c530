#!/usr/bin/python3
"""jsonl.py: checks and queries on hookctl -o json output (one JSON object a line).

usage: jsonl.py objects FILE          exit 0 if every line is a JSON object
       jsonl.py step FILE NAME        the result of the step event of NAME
       jsonl.py last FILE             "EVENT OK" of the last line (ok as true/false)
"""
import json
import sys


def lines(path):
    with open(path) as f:
        return [json.loads(l) for l in f if l.strip()]


def main(a):
    if len(a) < 2:
        sys.stderr.write(__doc__)
        return 2
    try:
        evs = lines(a[1])
    except ValueError as e:
        print("not JSON: %s" % e)
        return 1
    if a[0] == "objects":
        return 0 if evs and all(isinstance(e, dict) for e in evs) else 1
    if a[0] == "step":
        for e in evs:
            if e.get("event") == "step" and e.get("name") == a[2]:
                print(e.get("result"))
        return 0
    if a[0] == "last":
        e = evs[-1]
        print("%s %s" % (e.get("event"), "true" if e.get("ok") else "false"))
        return 0
    return 2


sys.exit(main(sys.argv[1:]))
