#!/usr/bin/python3
"""connect_proxy.py PORTFILE LOGFILE: a minimal HTTP CONNECT proxy on a free
loopback port (written to PORTFILE) for tests/cluster_20_k8s.sh.  Each
CONNECT request line and its Proxy-Authorization header go to LOGFILE.
Loopback targets only (names ending in .svc are taken as 127.0.0.1);
exits after 120 s."""
import socket, sys, threading, time

def pipe(a, b):
    try:
        while True:
            d = a.recv(65536)
            if not d:
                break
            b.sendall(d)
    except OSError:
        pass
    for s in (a, b):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

def handle(c, log):
    head = b""
    while b"\r\n\r\n" not in head and len(head) < 8192:
        d = c.recv(1)
        if not d:
            return
        head += d
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split()
    auth = [l.split(":", 1)[1].strip() for l in lines[1:] if l.lower().startswith("proxy-authorization:")]
    with open(log, "a") as f:
        f.write("%s %s\n" % (lines[0], auth[0] if auth else "-"))
    if len(parts) != 3 or parts[0] != "CONNECT":
        c.sendall(b"HTTP/1.1 405 Method Not Allowed\r\n\r\n")
        return c.close()
    host, port = parts[1].rsplit(":", 1)
    host = host.strip("[]")
    if host.endswith(".svc"):
        host = "127.0.0.1"  # only the proxy can resolve cluster names
    if host not in ("127.0.0.1", "localhost", "::1"):
        c.sendall(b"HTTP/1.1 403 Forbidden\r\n\r\n")
        return c.close()
    try:
        u = socket.create_connection((host, int(port)), 5)
    except OSError:
        c.sendall(b"HTTP/1.1 502 Bad Gateway\r\n\r\n")
        return c.close()
    c.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
    threading.Thread(target=pipe, args=(u, c), daemon=True).start()
    pipe(c, u)

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
        threading.Thread(target=handle, args=(c, sys.argv[2]), daemon=True).start()

main()
