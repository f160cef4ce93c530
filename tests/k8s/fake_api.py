#!/usr/bin/python3
"""fake_api.py PORTFILE LOGFILE: a scripted plain-HTTP Kubernetes API for
tests/cluster_20_k8s_fake.sh, to pin what a real server does rarely:
watch bookmarks, streams that end, 410 Gone as an ERROR event, relists,
429 on a create, odd chunk splits.  Every request line goes to LOGFILE.
Loopback only; exits after 120 s.

Script for ConfigMap "w" in namespace "ns":
  list 1 -> rv 10 (n=0)        watch rv=10 -> MODIFIED rv 11 (n=1), BOOKMARK
                                rv 15, end of stream
  watch rv=15 -> ERROR 410 Expired, end of stream
  list 2 -> rv 30 (n=2)        watch rv=30 -> MODIFIED rv 31 (n=done), stay open
POST configmaps: first 429 (Retry-After: 1), then 201.

Bounds and signals (issue 20), by path or by the watched name:
  GET configmaps/retry-huge -> 503 with Retry-After: 99999999
  GET configmaps/retry-3    -> 429 with Retry-After: 3, every time
  GET configmaps/esc        -> 422 Status with escape sequences
  GET /big-flat, /big-deep  -> 200, 40 MB of [0,0,0,...] or [[[[...
  GET /big-ok               -> 200, [0,...] of 300000 values
  watch name=hang           -> list rv 100, then a stream that says nothing
  watch name=flap           -> list rv 200, then streams that end at once
  watch name=bigev          -> list rv 300, then one event of 20 MB
"""
import json, socket, sys, threading, time

LOG = sys.argv[2]
state = {"lists": 0, "posts": 0}
lock = threading.Lock()


def log(line):
    with lock, open(LOG, "a") as f:
        f.write(line + "\n")


def cm(rv, n):
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "w", "namespace": "ns", "resourceVersion": str(rv)},
            "data": {"n": n}}


def send(c, code, body, extra=""):
    b = json.dumps(body).encode()
    c.sendall(("HTTP/1.1 %d X\r\nContent-Type: application/json\r\n"
               "Content-Length: %d\r\n%s\r\n" % (code, len(b), extra)).encode() + b)


def chunk(c, obj, split=False):
    b = (json.dumps(obj) + "\n").encode()
    if split:  # one event over three chunks, cut inside the JSON
        for part in (b[:7], b[7:20], b[20:]):
            c.sendall(b"%x;ext=1\r\n%s\r\n" % (len(part), part))
            time.sleep(0.05)
    else:
        c.sendall(b"%x\r\n%s\r\n" % (len(b), b))


BIG = 40 << 20


def big(c, kind):
    if kind == "flat":
        b = b"[" + b"0," * (BIG // 2 - 1) + b"0]"
    elif kind == "deep":
        b = b"[" * BIG
    else:
        b = b"[" + b"0," * 299999 + b"0]"
    c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
              b"Content-Length: %d\r\n\r\n" % len(b) + b)


def bounds(c, method, target):
    """The bounds and signals routes; False when target is not one."""
    name = target.split("metadata.name=")[-1].split("&")[0] \
        if "metadata.name=" in target else ""
    if target.endswith("/configmaps/retry-huge"):
        send(c, 503, {"kind": "Status", "code": 503, "reason": "ServiceUnavailable",
                      "message": "busy"}, "Retry-After: 99999999\r\n")
    elif target.endswith("/configmaps/retry-3"):
        send(c, 429, {"kind": "Status", "code": 429, "reason": "TooManyRequests",
                      "message": "slow down"}, "Retry-After: 3\r\n")
    elif target.endswith("/configmaps/esc"):
        send(c, 422, {"kind": "Status", "code": 422, "reason": "Bad\x1b[31mReason",
                      "message": "\x1b]0;owned\x07boom\r\n\x1b[2J\u009b31m end"})
    elif target.startswith("/big-"):
        big(c, target[5:])
    elif name in ("hang", "flap", "bigev") and "watch=1" not in target:
        rv = {"hang": 100, "flap": 200, "bigev": 300}[name]
        send(c, 200, {"kind": "ConfigMapList", "metadata": {"resourceVersion": str(rv)},
                      "items": []})
    elif name in ("hang", "flap", "bigev"):
        c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                  b"Transfer-Encoding: chunked\r\n\r\n")
        if name == "hang":
            time.sleep(30)
        elif name == "bigev":
            chunk(c, {"type": "ADDED", "object": {"kind": "ConfigMap", "metadata": {
                "name": "bigev", "resourceVersion": "301"}, "data": [0] * (10 << 20)}})
        c.sendall(b"0\r\n\r\n")
    else:
        return False
    return True


def handle(c):
    f = c.makefile("rb")
    while True:
        line = f.readline().decode("latin-1").strip()
        if not line:
            return
        hdrs = {}
        while True:
            h = f.readline().decode("latin-1").strip()
            if not h:
                break
            k, v = h.split(":", 1)
            hdrs[k.lower()] = v.strip()
        n = int(hdrs.get("content-length", "0"))
        if n:
            f.read(n)
        log(line + (" auth" if "authorization" in hdrs else ""))
        method, target, _ = line.split(" ")
        if bounds(c, method, target):
            continue
        if target == "/api/v1":
            send(c, 200, {"kind": "APIResourceList", "groupVersion": "v1", "resources": [
                {"name": "configmaps", "namespaced": True, "kind": "ConfigMap"},
                {"name": "pods/log", "namespaced": True, "kind": "Pod"}]})
        elif method == "POST":
            state["posts"] += 1
            if state["posts"] == 1:
                send(c, 429, {"kind": "Status", "code": 429, "reason": "TooManyRequests",
                              "message": "slow down"}, "Retry-After: 1\r\n")
            else:
                send(c, 201, cm(5, "created"))
        elif "watch=1" in target:
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                      b"Transfer-Encoding: chunked\r\n\r\n")
            if "resourceVersion=10" in target:
                chunk(c, {"type": "MODIFIED", "object": cm(11, "1")}, split=True)
                chunk(c, {"type": "BOOKMARK", "object": {"kind": "ConfigMap",
                          "metadata": {"resourceVersion": "15"}}})
                c.sendall(b"0\r\n\r\n")
            elif "resourceVersion=15" in target:
                chunk(c, {"type": "ERROR", "object": {"kind": "Status", "code": 410,
                          "reason": "Expired", "message": "too old resource version"}})
                c.sendall(b"0\r\n\r\n")
            elif "resourceVersion=30" in target:
                chunk(c, {"type": "MODIFIED", "object": cm(31, "done")})
                time.sleep(5)
                return c.close()
            else:
                c.sendall(b"0\r\n\r\n")
        elif method == "GET" and "/configmaps" in target:
            state["lists"] += 1
            rv, n = (10, "0") if state["lists"] == 1 else (30, "2")
            send(c, 200, {"kind": "ConfigMapList", "metadata": {"resourceVersion": str(rv)},
                          "items": [cm(rv, n)]})
        else:
            send(c, 404, {"kind": "Status", "code": 404, "reason": "NotFound",
                          "message": "no " + target})


def serve(c):
    """handle(c); a client that went away (a test stops it) is no error."""
    try:
        handle(c)
    except (ConnectionError, OSError):
        pass


def main():
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(16)
    s.settimeout(1)
    with open(sys.argv[1], "w") as f:
        f.write(str(s.getsockname()[1]))
    end = time.time() + 120
    while time.time() < end:
        try:
            c, _ = s.accept()
        except socket.timeout:
            continue
        threading.Thread(target=serve, args=(c,), daemon=True).start()


main()
