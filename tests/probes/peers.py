#!/usr/bin/env python3
"""Loopback peers for the probe integration tests, all in one process (one thread per listener).

  --http PORT                    HTTP/1.1 server (paths below)
  --https PORT:CERT:KEY          the same over TLS (repeatable)
  --silent PORT                  accepts and never sends a byte
  --banner PORT                  sends an SSH banner on connect, then waits
  --close PORT                   accepts and closes at once
  --drip PORT                    sends an HTTP head, then one body byte every 100 ms, forever
  --ready FILE                   written once every listener is bound

HTTP paths: / -> 200 "ok"; /status/NNN -> NNN; /redirect -> 302; /chunked -> 200 chunked;
/health -> 503 {"health":"false","reason":"ALARM NOSPACE"} (an unhealthy etcd); /big -> 200 with
a 1 MiB body.
"""
import argparse
import http.server
import socket
import ssl
import sys
import threading
import time


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # keep the test output quiet
        pass

    def send_body(self, code, body, ctype="text/plain", extra=()):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/":
            self.send_body(200, b"ok\n")
        elif self.path.startswith("/status/"):
            code = int(self.path[len("/status/"):])
            self.send_body(code, b"status %d\n" % code)
        elif self.path == "/redirect":
            self.send_body(302, b"", extra=[("Location", "/elsewhere")])
        elif self.path == "/chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for part in (b"hello", b", ", b"world"):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            self.wfile.write(b"0\r\n\r\n")
        elif self.path == "/health":
            self.send_body(503, b'{"health":"false","reason":"ALARM NOSPACE"}', "application/json")
        elif self.path == "/big":
            self.send_body(200, b"x" * (1 << 20))
        else:
            self.send_body(404, b"not found\n")


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def serve_http(port, tls=None):
    srv = Server(("127.0.0.1", port), Handler)
    if tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(tls[0], tls[1])
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    return srv.serve_forever


def listener(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(64)
    return s


def accept_loop(sock, on_conn):
    held = []

    def run():
        while True:
            conn, _ = sock.accept()
            held.append(conn)  # keep a reference so silent connections stay open
            threading.Thread(target=on_conn, args=(conn,), daemon=True).start()

    return run


def silent(conn):
    pass


def banner(conn):
    try:
        conn.sendall(b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n")
    except OSError:
        pass


def close_now(conn):
    conn.close()


def drip(conn):
    try:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n")
        while True:
            conn.sendall(b"x")
            time.sleep(0.1)
    except OSError:
        pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--http", type=int)
    ap.add_argument("--https", action="append", default=[])
    ap.add_argument("--silent", type=int)
    ap.add_argument("--banner", type=int)
    ap.add_argument("--close", type=int)
    ap.add_argument("--drip", type=int)
    ap.add_argument("--ready", required=True)
    a = ap.parse_args()
    runs = []
    if a.http:
        runs.append(serve_http(a.http))
    for spec in a.https:
        port, cert, key = spec.split(":", 2)
        runs.append(serve_http(int(port), (cert, key)))
    for port, fn in ((a.silent, silent), (a.banner, banner), (a.close, close_now), (a.drip, drip)):
        if port:
            runs.append(accept_loop(listener(port), fn))
    for r in runs:
        threading.Thread(target=r, daemon=True).start()
    with open(a.ready, "w") as f:
        f.write("ready\n")
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    sys.exit(main())
