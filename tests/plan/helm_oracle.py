#!/usr/bin/env python3
"""helm_oracle.py HELM_OUTPUT SHUFFLED_OUT EXPECTED_OUT

Reads `helm template` output (Helm's own order: manifests in InstallOrder,
then hooks in rel.Hooks order), writes the same documents with their
"# Source:" lines regrouped by template path in reverse byte order (the
order inside one path kept), and writes the order Helm printed as two lines:
"resources: Kind/name ..." and "hooks: Kind/name ...".  tests/suite_plan.sh
plans the shuffled file and compares.
"""
import re
import sys

text = open(sys.argv[1], encoding="utf-8").read()
docs = [d for d in re.split(r"(?m)^---[ \t]*\n", text) if d.strip()]
hook = re.compile(r'(?m)^\s+"?helm\.sh/hook"?\s*:')
res, hooks, groups = [], [], {}
for d in docs:
    src = re.search(r"(?m)^# Source: (.*)$", d).group(1).strip()
    kind = re.search(r"(?m)^kind: (.*)$", d).group(1).strip()
    name = re.search(r"(?m)^  name: (.*)$", d).group(1).strip().strip('"')
    (hooks if hook.search(d) else res).append(kind + "/" + name)
    groups.setdefault(src, []).append(d)
with open(sys.argv[2], "w", encoding="utf-8") as f:
    for src in sorted(groups, reverse=True):
        for d in groups[src]:
            f.write("---\n" + d)
with open(sys.argv[3], "w", encoding="utf-8") as f:
    f.write("resources: " + " ".join(res) + "\n")
    f.write("hooks: " + " ".join(hooks) + "\n")
