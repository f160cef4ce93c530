#!/usr/bin/python3
"""faultproxy.py: a fault-injecting TLS proxy in front of the API server.

Clients connect to --listen over TLS (the API server's own certificate, so the
cluster CA and the names localhost/127.0.0.1 verify) and send HTTP/1.1; each
request is forwarded to --upstream over TLS, unless a rule says otherwise.
Tokens pass through (client certificates do not: use a token via the proxy).

Rules are set per test over plain HTTP on --control (loopback only):
  GET    /health           "ok"
  GET    /rules            the rules, with what is left of their counts
  PUT    /rules            replace all rules with the JSON list in the body
  POST   /rules            append one rule (a JSON object)
  DELETE /rules            remove every rule (and empty the log)
  GET    /log              one JSON object per proxied request, in order
  DELETE /log              empty the log

A rule is a JSON object; the first rule that matches a request and has
applications left is applied:
  method   "GET" or ["POST","PUT"]          (default: any)
  path     a regex searched in the request target, path?query (default: any)
  watch    true / false: only watch requests / only others (default: either)
  skip     let this many matching requests through first (default 0)
  times    how many requests to apply it to (default 1; 0 = every one)
  action   one of
    reset-before    read the request, then reset the connection (TCP RST);
                    nothing reaches the API server
    reset-after     forward the request, read the whole response, then reset
                    the connection instead of answering (the change is made)
    status          answer "code" (500, 503, 429, ...) with a Kubernetes Status
                    body; "retry_after": N adds the header Retry-After: N
    gone            answer 410 with a Status of reason Expired
    delay           wait "seconds" (default 5) before forwarding
    watch-cut       forward a watch, pass "events" events (default 1), then
                    close the connection mid-stream (no final chunk);
                    "rst": true resets instead
    watch-expired   answer a watch with 200 and one ERROR event (410 Expired),
                    then end the stream cleanly
Python 3 standard library only.
"""

import argparse
import http.client
import http.server
import json
import re
import socket
import ssl
import struct
import sys
import threading
import time
import urllib.parse

ARGS = None
UP_CTX = None
LOCK = threading.Lock()
RULES = []
LOG = []
HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te",
       "trailer", "upgrade", "content-length", "host", "expect"}


def status_body(code, reason, message):
    return json.dumps({"kind": "Status", "apiVersion": "v1", "metadata": {},
                       "status": "Failure", "message": message, "reason": reason,
                       "code": code}).encode()


def pick_rule(method, target):
    q = urllib.parse.parse_qs(urllib.parse.urlparse(target).query)
    is_watch = q.get("watch", ["false"])[0] in ("1", "true")
    with LOCK:
        for r in RULES:
            m = r.get("method")
            if m is not None:
                ms = [m] if isinstance(m, str) else m
                if method.upper() not in [x.upper() for x in ms]:
                    continue
            if r.get("path") is not None and not re.search(r["path"], target):
                continue
            if r.get("watch") is not None and bool(r["watch"]) != is_watch:
                continue
            times = r.get("times", 1)
            if times != 0 and r.get("_applied", 0) >= times:
                continue
            if r.get("_seen", 0) < r.get("skip", 0):
                r["_seen"] = r.get("_seen", 0) + 1
                continue
            r["_seen"] = r.get("_seen", 0) + 1
            r["_applied"] = r.get("_applied", 0) + 1
            return dict(r)
    return None


def record(method, target, action, status):
    with LOCK:
        LOG.append({"n": len(LOG) + 1, "time": round(time.time(), 3), "method": method,
                    "path": target, "action": action, "status": status})


class ProxyHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "hookctl-faultproxy"

    def log_message(self, fmt, *a):
        pass

    def handle(self):
        try:
            http.server.BaseHTTPRequestHandler.handle(self)
        except (OSError, ssl.SSLError, ValueError, http.client.HTTPException):
            pass

    def finish(self):
        try:
            http.server.BaseHTTPRequestHandler.finish(self)
        except (OSError, ValueError):
            pass

    def read_body(self):
        te = (self.headers.get("Transfer-Encoding") or "").lower()
        if "chunked" in te:
            out = b""
            while True:
                line = self.rfile.readline()
                n = int(line.split(b";")[0].strip() or b"0", 16)
                if n == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return out
                out += self.rfile.read(n)
                self.rfile.readline()
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def rst(self):
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
        except OSError:
            pass
        try:
            self.connection.close()
        except OSError:
            pass
        self.close_connection = True

    def answer(self, code, body, extra=()):
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    def do_any(self):
        method, target = self.command, self.path
        body = self.read_body()
        rule = pick_rule(method, target)
        act = rule["action"] if rule else "pass"
        if act == "reset-before":
            record(method, target, act, None)
            return self.rst()
        if act == "status":
            code = int(rule.get("code", 500))
            extra = []
            if rule.get("retry_after") is not None:
                extra.append(("Retry-After", str(rule["retry_after"])))
            reason = {429: "TooManyRequests", 500: "InternalError", 503: "ServiceUnavailable",
                      504: "Timeout"}.get(code, "InternalError")
            msg = rule.get("message") or "injected by the fault proxy: %d" % code
            record(method, target, act, code)
            return self.answer(code, status_body(code, reason, msg), extra)
        if act == "gone":
            record(method, target, act, 410)
            return self.answer(410, status_body(410, "Expired",
                                                "too old resource version (injected)"))
        if act == "watch-expired":
            ev = json.dumps({"type": "ERROR", "object": json.loads(status_body(
                410, "Expired", "too old resource version: 1 (injected)"))}).encode() + b"\n"
            record(method, target, act, 200)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self.wfile.write(b"%x\r\n%s\r\n0\r\n\r\n" % (len(ev), ev))
            self.wfile.flush()
            return
        if act == "delay":
            time.sleep(float(rule.get("seconds", 5)))
        self.forward(method, target, body, rule, act)

    def forward(self, method, target, body, rule, act):
        u = urllib.parse.urlparse(ARGS.upstream)
        up = http.client.HTTPSConnection(u.hostname, u.port, context=UP_CTX, timeout=600)
        hdrs = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
        if act == "watch-cut":
            hdrs.pop("Accept-Encoding", None)
        hdrs["Host"] = u.netloc
        try:
            up.request(method, target, body=body if (body or method in ("POST", "PUT", "PATCH")) else None,
                       headers=hdrs)
            r = up.getresponse()
        except (OSError, http.client.HTTPException) as e:
            up.close()
            record(method, target, "upstream-error", 502)
            return self.answer(502, status_body(502, "InternalError", "proxy: upstream: %s" % e))
        try:
            if act == "reset-after":
                r.read()
                record(method, target, act, r.status)
                return self.rst()
            record(method, target, act, r.status)
            self.send_response(r.status)
            for k, v in r.getheaders():
                if k.lower() not in HOP:
                    self.send_header(k, v)
            length = r.getheader("Content-Length")
            if length is not None and act != "watch-cut":
                data = r.read()
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if method != "HEAD":
                    self.wfile.write(data)
                self.wfile.flush()
                return
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self.wfile.flush()
            events_left = int(rule.get("events", 1)) if act == "watch-cut" else None
            pending = b""
            while True:
                chunk = r.read1(65536) if events_left is None else r.readline()
                if not chunk:
                    break
                if events_left is not None:
                    pending += chunk
                    if not pending.endswith(b"\n"):
                        continue
                    if events_left <= 0:
                        # cut: no final chunk
                        if rule.get("rst"):
                            return self.rst()
                        self.close_connection = True
                        try:
                            self.connection.shutdown(socket.SHUT_RDWR)
                        except OSError:
                            pass
                        return
                    chunk, pending = pending, b""
                    events_left -= 1
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                self.wfile.flush()
                if events_left is not None and events_left <= 0:
                    if rule.get("rst"):
                        return self.rst()
                    self.close_connection = True
                    try:
                        self.connection.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
                    return
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        finally:
            up.close()

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_any


class ControlHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *a):
        pass

    def reply(self, code, obj):
        b = (json.dumps(obj, indent=1) if not isinstance(obj, str) else obj).encode() + b"\n"
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(n) or b"null")

    def do_GET(self):
        if self.path == "/health":
            return self.reply(200, "ok")
        if self.path == "/rules":
            with LOCK:
                return self.reply(200, RULES)
        if self.path == "/log":
            with LOCK:
                return self.reply(200, "\n".join(json.dumps(e) for e in LOG))
        self.reply(404, {"error": "no such endpoint"})

    def check(self, r):
        acts = ("reset-before", "reset-after", "status", "gone", "delay", "watch-cut",
                "watch-expired")
        if not isinstance(r, dict) or r.get("action") not in acts:
            raise ValueError("a rule is an object with action one of %s" % ", ".join(acts))
        if r.get("path") is not None:
            re.compile(r["path"])
        return r

    def do_PUT(self):
        if self.path != "/rules":
            return self.reply(404, {"error": "no such endpoint"})
        try:
            rules = [self.check(r) for r in self.body()]
        except (ValueError, TypeError, re.error) as e:
            return self.reply(400, {"error": str(e)})
        with LOCK:
            RULES[:] = rules
        self.reply(200, {"rules": len(rules)})

    def do_POST(self):
        if self.path != "/rules":
            return self.reply(404, {"error": "no such endpoint"})
        try:
            r = self.check(self.body())
        except (ValueError, TypeError, re.error) as e:
            return self.reply(400, {"error": str(e)})
        with LOCK:
            RULES.append(r)
            n = len(RULES)
        self.reply(200, {"rules": n})

    def do_DELETE(self):
        with LOCK:
            if self.path == "/rules":
                RULES[:] = []
                LOG[:] = []
            elif self.path == "/log":
                LOG[:] = []
            else:
                return self.reply(404, {"error": "no such endpoint"})
        self.reply(200, {"ok": True})


class TLSServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    ctx = None

    def get_request(self):
        sock, addr = self.socket.accept()
        return self.ctx.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), addr

    def handle_error(self, request, client_address):
        pass


def main():
    global ARGS, UP_CTX
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--listen", type=int, required=True)
    ap.add_argument("--control", type=int, required=True)
    ap.add_argument("--upstream", required=True)
    ap.add_argument("--ca", required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ARGS = ap.parse_args()
    UP_CTX = ssl.create_default_context(cafile=ARGS.ca)
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(ARGS.cert, ARGS.key)
    ctx.set_alpn_protocols(["http/1.1"])
    TLSServer.ctx = ctx
    srv = TLSServer(("127.0.0.1", ARGS.listen), ProxyHandler)
    ctl = http.server.ThreadingHTTPServer(("127.0.0.1", ARGS.control), ControlHandler)
    ctl.daemon_threads = True
    threading.Thread(target=ctl.serve_forever, daemon=True).start()
    sys.stderr.write("faultproxy: :%d -> %s, control :%d\n" % (ARGS.listen, ARGS.upstream, ARGS.control))
    sys.stderr.flush()
    srv.serve_forever()


if __name__ == "__main__":
    main()
