#!/usr/bin/env python3
"""A TLS pass-through for node-report's requests to the test's kube-apiserver that makes a second
writer change the Node right before the reporter's taint patch arrives, so the real apiserver
answers that patch with 409 Conflict (its metadata.resourceVersion is then stale).

Every request is forwarded byte for byte (the reporter's own token, so the apiserver
authenticates and authorizes the reporter, not this proxy) and every reply is returned as is;
nothing is answered here. The proxy only chooses *when* another writer acts, which on a real
cluster is a race (kubelet, controllers, another taint manager) too rare to hit on purpose.

Usage (env KAPI_URL, KAPI_CA, KAPI_CERT, KAPI_KEY as for kapi.py: the upstream and the admin
credentials of the second writer):
  conflict_proxy.py PORT_FILE LOG NODE CONFLICTS TAINT_KEY CERT KEY
It listens on 127.0.0.1 (a free port, written to PORT_FILE once listening) with CERT/KEY (the
apiserver's own serving certificate: the reporter checks the cluster CA and 127.0.0.1). Before
each of the first CONFLICTS `PATCH /api/v1/nodes/NODE` requests (the taint patch; the condition
goes to .../status), the second writer reads the Node and writes it back with the taint
TAINT_KEY:PreferNoSchedule added (the first time) or an annotation bumped (later times), with the
resourceVersion it read. LOG gets one line per request: "METHOD PATH -> STATUS [note]".
"""
import json
import os
import socket
import socketserver
import ssl
import sys
import threading
import urllib.request
from urllib.parse import urlparse

port_file, log_path, node, conflicts, taint_key, cert, key = sys.argv[1:8]
conflicts_left = int(conflicts)
lock = threading.Lock()
upstream = urlparse(os.environ["KAPI_URL"])
up_ctx = ssl.create_default_context(cafile=os.environ["KAPI_CA"])
admin_ctx = ssl.create_default_context(cafile=os.environ["KAPI_CA"])
admin_ctx.load_cert_chain(os.environ["KAPI_CERT"], os.environ["KAPI_KEY"])
writes = 0


def log(line):
    with lock, open(log_path, "a") as f:
        f.write(line + "\n")


def admin(method, path, body=None):
    req = urllib.request.Request(os.environ["KAPI_URL"] + path, method=method,
                                 data=None if body is None else json.dumps(body).encode(),
                                 headers={"Content-Type": "application/merge-patch+json"})
    with urllib.request.urlopen(req, context=admin_ctx, timeout=10) as r:
        return json.load(r)


def second_writer():
    """Read-modify-write of the Node's taints (or an annotation), as another controller would."""
    global writes
    writes += 1
    n = admin("GET", f"/api/v1/nodes/{node}")
    taints = n["spec"].get("taints") or []
    if any(t["key"] == taint_key for t in taints):
        patch = {"metadata": {"annotations": {"example.com/concurrent-writes": str(writes)}}}
        what = f"annotation example.com/concurrent-writes={writes}"
    else:
        patch = {"spec": {"taints": taints + [{"key": taint_key, "effect": "PreferNoSchedule"}]}}
        what = f"taint {taint_key}:PreferNoSchedule added"
    patch.setdefault("metadata", {})["resourceVersion"] = n["metadata"]["resourceVersion"]
    m = admin("PATCH", f"/api/v1/nodes/{node}", patch)
    return f"second writer first: {what} (resourceVersion {n['metadata']['resourceVersion']} -> {m['metadata']['resourceVersion']})"


def read_request(conn):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        body += chunk
    return head, body


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        global conflicts_left
        try:
            conn = srv_ctx.wrap_socket(self.request, server_side=True)
        except (ssl.SSLError, OSError) as e:
            log(f"TLS handshake failed: {e}")
            return
        with conn:
            got = read_request(conn)
            if got is None:
                return
            head, body = got
            method, path = head.split(b"\r\n")[0].decode().split(" ")[:2]
            note = ""
            if method == "PATCH" and path == f"/api/v1/nodes/{node}":
                with lock:
                    go = conflicts_left > 0
                    conflicts_left -= go
                if go:
                    note = second_writer()
            with socket.create_connection((upstream.hostname, upstream.port), timeout=10) as raw, \
                    up_ctx.wrap_socket(raw, server_hostname=upstream.hostname) as up:
                up.sendall(head + b"\r\n\r\n" + body)
                reply = b""
                while True:  # the reporter asks for Connection: close; the reply ends at EOF
                    chunk = up.recv(65536)
                    if not chunk:
                        break
                    reply += chunk
            status = reply.split(b"\r\n")[0].decode(errors="replace").split(" ")[1] if reply else "none"
            log(f"{method} {path} -> {status}" + (f" [{note}]" if note else ""))
            conn.sendall(reply)


srv_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
srv_ctx.load_cert_chain(cert, key)
socketserver.ThreadingTCPServer.allow_reuse_address = True
server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
with open(port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(port_file + ".tmp", port_file)
server.serve_forever()
