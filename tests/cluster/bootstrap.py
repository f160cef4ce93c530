#!/usr/bin/python3
"""bootstrap.py: what up.sh does once the API server answers, in one process.

  1. waits for /readyz;
  2. creates the objects of --objects (a JSON list: namespaces, RBAC, the
     in-cluster ServiceAccount; see rbac.json), an existing one is fine;
  3. asks for a token of ServiceAccount --sa (NAMESPACE/NAME, TokenRequest,
     48 h) and writes token, ca.crt and namespace into --sa-dir, as a pod
     would find them under /var/run/secrets/kubernetes.io/serviceaccount;
  4. waits until Node --node is Ready (the simulated kubelet registered).
Exit 0 when all is done, 1 with a message otherwise.
Python 3 standard library only.
"""

import argparse
import http.client
import json
import os
import shutil
import ssl
import sys
import time
import urllib.parse

PLURAL = {"Namespace": "namespaces", "Role": "roles", "RoleBinding": "rolebindings",
          "ClusterRole": "clusterroles", "ClusterRoleBinding": "clusterrolebindings",
          "ServiceAccount": "serviceaccounts", "ConfigMap": "configmaps", "Secret": "secrets"}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", required=True)
    ap.add_argument("--ca", required=True)
    ap.add_argument("--token-file", required=True)
    ap.add_argument("--objects", required=True)
    ap.add_argument("--sa", required=True)
    ap.add_argument("--sa-dir", required=True)
    ap.add_argument("--node", required=True)
    ap.add_argument("--timeout", type=float, default=60)
    a = ap.parse_args()
    u = urllib.parse.urlparse(a.server)
    ctx = ssl.create_default_context(cafile=a.ca)
    token = open(a.token_file).read().strip()
    deadline = time.time() + a.timeout

    def req(method, path, body=None):
        c = http.client.HTTPSConnection(u.hostname, u.port, context=ctx, timeout=10)
        try:
            h = {"Authorization": "Bearer " + token, "User-Agent": "hookctl-cluster-up",
                 "Accept": "application/json"}
            data = None
            if body is not None:
                data = json.dumps(body).encode()
                h["Content-Type"] = "application/json"
            c.request(method, path, body=data, headers=h)
            r = c.getresponse()
            return r.status, r.read()
        finally:
            c.close()

    def poll(what, fn):
        while True:
            try:
                if fn():
                    return
            except OSError:
                pass
            if time.time() > deadline:
                sys.exit("bootstrap: %s: not ready after %g s" % (what, a.timeout))
            time.sleep(0.1)

    poll("API server /readyz", lambda: req("GET", "/readyz") == (200, b"ok"))

    for o in json.load(open(a.objects)):
        gv = o["apiVersion"]
        base = "/api/v1" if gv == "v1" else "/apis/" + gv
        ns = o["metadata"].get("namespace")
        path = base + ("/namespaces/%s" % ns if ns else "") + "/" + PLURAL[o["kind"]]
        st, body = req("POST", path, o)
        if st not in (200, 201, 409):
            sys.exit("bootstrap: create %s %s: HTTP %d: %s"
                     % (o["kind"], o["metadata"]["name"], st, body[:300].decode("utf-8", "replace")))

    sa_ns, sa_name = a.sa.split("/", 1)
    tr = {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
          "spec": {"expirationSeconds": 172800}}
    st, body = req("POST", "/api/v1/namespaces/%s/serviceaccounts/%s/token" % (sa_ns, sa_name), tr)
    if st != 201:
        sys.exit("bootstrap: TokenRequest for %s: HTTP %d: %s"
                 % (a.sa, st, body[:300].decode("utf-8", "replace")))
    os.makedirs(a.sa_dir, exist_ok=True)
    with open(os.path.join(a.sa_dir, "token"), "w") as f:
        f.write(json.loads(body)["status"]["token"])
    shutil.copyfile(a.ca, os.path.join(a.sa_dir, "ca.crt"))
    with open(os.path.join(a.sa_dir, "namespace"), "w") as f:
        f.write(sa_ns)

    def node_ready():
        st, body = req("GET", "/api/v1/nodes/" + a.node)
        if st != 200:
            return False
        conds = json.loads(body).get("status", {}).get("conditions") or []
        return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conds)
    poll("Node %s" % a.node, node_ready)


if __name__ == "__main__":
    main()
