#!/usr/bin/env python3
"""check.py SCHEMA FILE...: every line of each FILE (hookctl -o json output)
must be one JSON object that tests/events/schema.json describes: a known
"event", its required keys, no key it does not list, each value of its type
or enum.  Prints "ok N" or the first problems, and exits 1 on any."""
import json
import sys

TYPES = {"string": str, "boolean": bool, "object": dict, "array": list}


def check(v, s, where, errs):
    t = s.get("type")
    if t == "integer":
        if not isinstance(v, int) or isinstance(v, bool):
            errs.append("%s: %r is not an integer" % (where, v))
            return
    elif t == "number":
        if not isinstance(v, (int, float)) or isinstance(v, bool):
            errs.append("%s: %r is not a number" % (where, v))
            return
    elif t and not isinstance(v, TYPES[t]):
        errs.append("%s: %r is not a %s" % (where, v, t))
        return
    if "enum" in s and v not in s["enum"]:
        errs.append("%s: %r is not one of %s" % (where, v, s["enum"]))
    if "minimum" in s and isinstance(v, (int, float)) and v < s["minimum"]:
        errs.append("%s: %r < %r" % (where, v, s["minimum"]))
    if "items" in s and isinstance(v, list):
        for i, it in enumerate(v):
            check(it, s["items"], "%s[%d]" % (where, i), errs)
    if "properties" in s:
        if not isinstance(v, dict):
            errs.append("%s: not an object" % where)
            return
        for k in s.get("required", []):
            if k not in v:
                errs.append("%s: no %r" % (where, k))
        for k, x in v.items():
            if k not in s["properties"]:
                errs.append("%s: unexpected key %r" % (where, k))
            else:
                check(x, s["properties"][k], "%s.%s" % (where, k), errs)


def main():
    schema = json.load(open(sys.argv[1]))["events"]
    errs, n = [], 0
    for path in sys.argv[2:]:
        for ln, line in enumerate(open(path), 1):
            where = "%s:%d" % (path, ln)
            try:
                ev = json.loads(line)
            except ValueError as e:
                errs.append("%s: not JSON: %s" % (where, e))
                continue
            if not isinstance(ev, dict) or ev.get("event") not in schema:
                errs.append("%s: unknown event %r" % (where, ev.get("event") if isinstance(ev, dict) else ev))
                continue
            s = dict(schema[ev["event"]])
            s["properties"] = dict(s["properties"], event={"type": "string"})
            check(ev, s, where + " " + ev["event"], errs)
            n += 1
    if errs:
        print("\n".join(errs[:10]))
        sys.exit(1)
    print("ok %d" % n)


main()
