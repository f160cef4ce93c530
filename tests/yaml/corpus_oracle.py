"""Compares `hookctl json` with PyYAML on every file of a corpus.

Usage: /usr/bin/python3 corpus_oracle.py HOOKCTL EXPECT CORPUS_DIR
Prints one "PASS name" or "FAIL name: why" line per file.  EXPECT lists
the files that must fail (path relative to CORPUS_DIR, then the start of
the expected message).  PyYAML (Debian's python3-yaml) is the independent
YAML 1.1 implementation; its resolver is replaced by go-yaml v2's rules
(resolve.go, which kubectl uses through sigs.k8s.io/yaml):
  bool: y Y yes Yes YES n N no No NO true True TRUE false False FALSE
        on On ON off Off OFF;  null: "" ~ null Null NULL
  int: after removing "_", Go's ParseInt/ParseUint with base 0
       (0x.., 0o.., 0b.., 0.. octal, decimal); no sexagesimal
  float: [-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)? (no dot
         needed), .inf/.nan forms; no timestamps (strings), no "=" value.
Mapping keys become strings as sigs.k8s.io/yaml makes them.  Anchors may
be redefined (go-yaml allows it; PyYAML's composer does not).
"""
import json
import math
import os
import re
import subprocess
import sys

import yaml
from yaml._yaml import CParser

BOOL = {v: True for v in "y Y yes Yes YES true True TRUE on On ON".split()}
BOOL.update({v: False for v in "n N no No NO false False FALSE off Off OFF".split()})
NULL = {"", "~", "null", "Null", "NULL"}
SPECIAL = {".nan": math.nan, ".NaN": math.nan, ".NAN": math.nan}
for s in (".inf", ".Inf", ".INF"):
    SPECIAL[s] = math.inf
    SPECIAL["+" + s] = math.inf
    SPECIAL["-" + s] = -math.inf
FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")
DOTFLOAT = re.compile(r"^\.[0-9]+([eE][-+]?[0-9]+)?$")
INT = re.compile(r"^([-+]?)(0[xX][0-9a-fA-F]+|0[bB][01]+|0[oO][0-7]+|0[0-7]+|[0-9]+)$")
PLAIN = "tag:hookctl,2026:plain"


def go_resolve(s):
    if s == "" or s[0] in "+-0123456789yYnNtTfFoO~.":
        if s in BOOL:
            return BOOL[s]
        if s in NULL:
            return None
        if s in SPECIAL:
            return SPECIAL[s]
        if s[0] == ".":
            return float(s) if DOTFLOAT.match(s) else s
        if s[0] in "+-0123456789":
            q = s.replace("_", "")
            m = INT.match(q)
            if m:
                d = m.group(2)
                if d[:2] in ("0x", "0X"):
                    v = int(d[2:], 16)
                elif d[:2] in ("0b", "0B"):
                    v = int(d[2:], 2)
                elif d[:2] in ("0o", "0O"):
                    v = int(d[2:], 8)
                elif len(d) > 1 and d[0] == "0":
                    v = int(d[1:], 8) if d.isdigit() and "8" not in d and "9" not in d else None
                else:
                    v = int(d)
                if v is None:
                    pass
                elif m.group(1) == "-":
                    v = -v
                if v is not None and -(1 << 63) <= v < (1 << 64) and not (v >= 1 << 63 and m.group(1)):
                    return v
            if FLOAT.match(q):
                f = float(q)
                if not math.isinf(f):
                    return f
    return s


class Resolver(yaml.resolver.BaseResolver):
    def resolve(self, kind, value, implicit):
        if kind is yaml.ScalarNode and implicit[0]:
            if value == "<<":
                return "tag:yaml.org,2002:merge"
            return PLAIN
        return yaml.resolver.Resolver.resolve(self, kind, value, implicit)


class Constructor(yaml.constructor.SafeConstructor):
    pass


Constructor.add_constructor(PLAIN, lambda c, n: go_resolve(c.construct_scalar(n)))


class CLoader(CParser, Constructor, Resolver):
    def __init__(self, stream):
        CParser.__init__(self, stream)
        Constructor.__init__(self)
        Resolver.__init__(self)


class PyLoader(yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser,
               yaml.composer.Composer, Constructor, Resolver):
    def __init__(self, stream):
        yaml.reader.Reader.__init__(self, stream)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)
        yaml.composer.Composer.__init__(self)
        Constructor.__init__(self)
        Resolver.__init__(self)

    def compose_node(self, parent, index):
        ev = self.peek_event()
        if not isinstance(ev, yaml.AliasEvent) and ev.anchor in self.anchors:
            del self.anchors[ev.anchor]   # go-yaml: the later anchor wins
        return yaml.composer.Composer.compose_node(self, parent, index)


def go_float32(f):
    """strconv.FormatFloat(f, 'g', -1, 32), enough for keys."""
    if math.isnan(f):
        return ".nan"
    if math.isinf(f):
        return ".inf" if f > 0 else "-.inf"
    import struct
    f32 = struct.unpack("f", struct.pack("f", f))[0]
    for prec in range(1, 10):
        s = "%.*e" % (prec - 1, f32)
        if struct.unpack("f", struct.pack("f", float(s)))[0] == f32:
            break
    e = int(s.split("e")[1])
    if -4 <= e < 6:
        return "%.*f" % (max(prec - 1 - e, 0), f32)
    return s


def jsonable(v):
    if isinstance(v, dict):
        out = {}
        for k, x in v.items():
            if isinstance(k, bool):
                k = "true" if k else "false"
            elif isinstance(k, int):
                k = str(k)
            elif isinstance(k, float):
                k = go_float32(k)
            elif not isinstance(k, str):
                raise ValueError("unsupported key %r" % (k,))
            out[k] = jsonable(x)
        return out
    if isinstance(v, list):
        return [jsonable(x) for x in v]
    return v


def oracle(path):
    data = open(path, "rb").read()
    try:
        docs = list(yaml.load_all(data, Loader=CLoader))
    except yaml.YAMLError as e:
        if "duplicate anchor" not in str(e) and "found character '\\t'" not in str(e):
            raise
        docs = list(yaml.load_all(data, Loader=PyLoader))
    return [jsonable(d) for d in docs if d is not None]


def main():
    hookctl, expect_file, root = sys.argv[1:4]
    expect = {}
    for line in open(expect_file):
        line = line.strip()
        if line and not line.startswith("#"):
            name, msg = line.split(None, 1)
            expect[name] = msg
    files = []
    for d, _, fs in os.walk(root):
        for f in fs:
            if f.endswith((".yaml", ".yml")):
                files.append(os.path.relpath(os.path.join(d, f), root))
    for name in sorted(files):
        path = os.path.join(root, name)
        r = subprocess.run([hookctl, "json", "-f", path], capture_output=True)
        tag = "corpus " + name
        if name in expect:
            err = r.stderr.decode(errors="replace")
            if r.returncode == 2 and expect[name] in err:
                print("PASS %s (rejected: %s)" % (tag, err.strip().split(": ", 1)[-1][:80]))
            else:
                print("FAIL %s: expected an error with %r, got exit %d %s" % (tag, expect[name], r.returncode, err[:200]))
            continue
        if r.returncode != 0:
            print("FAIL %s: exit %d: %s" % (tag, r.returncode, r.stderr.decode(errors="replace")[:300]))
            continue
        got = [json.loads(l) for l in r.stdout.decode().splitlines()]
        try:
            want = oracle(path)
        except Exception as e:
            print("FAIL %s: oracle: %s" % (tag, str(e)[:200]))
            continue
        if canon(got) == canon(want):
            print("PASS %s (%d documents)" % (tag, len(got)))
            continue
        why = "document count %d != %d" % (len(got), len(want))
        for i, (g, w) in enumerate(zip(got, want)):
            if canon(g) != canon(w):
                why = "document %d differs: %s" % (i + 1, first_diff(g, w, ""))
                break
        print("FAIL %s: %s" % (tag, why))


def canon(v):
    """Equal values of different JSON types (true and 1) stay apart."""
    if isinstance(v, dict):
        return {k: canon(x) for k, x in v.items()}
    if isinstance(v, list):
        return [canon(x) for x in v]
    if isinstance(v, bool):
        return ("bool", v)
    if isinstance(v, (int, float)):
        return ("num", v)
    return v


def first_diff(g, w, at):
    if isinstance(g, dict) and isinstance(w, dict):
        for k in list(g) + list(w):
            if k not in g or k not in w:
                return "%s/%s: present in only one" % (at, k)
            if canon(g[k]) != canon(w[k]):
                return first_diff(g[k], w[k], at + "/" + k)
    if isinstance(g, list) and isinstance(w, list) and len(g) == len(w):
        for i, (a, b) in enumerate(zip(g, w)):
            if canon(a) != canon(b):
                return first_diff(a, b, "%s/%d" % (at, i))
    return "%s: %r != %r" % (at, str(g)[:80], str(w)[:80])


if __name__ == "__main__":
    main()
