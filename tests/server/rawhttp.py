"""Raw HTTP/1.1 over TLS for the server's integration tests: what curl and http.client hide
(framings curl will not send, interim answers, several connections in step)."""
import socket
import ssl
import time

_ctx = ssl.create_default_context()
_ctx.check_hostname = False
_ctx.verify_mode = ssl.CERT_NONE


def tls(port, timeout=5):
    """A TLS connection to the server on 127.0.0.1 (certificate not checked: other tests do)."""
    t = _ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="x")
    t.settimeout(timeout)
    return t


def answer(t):
    """One whole answer (Content-Length framed) as (head, body); fails if the peer closes first."""
    data = b""
    while b"\r\n\r\n" not in data:
        d = t.recv(65536)
        assert d, "closed before an answer: %r" % data[:200]
        data += d
    head, rest = data.split(b"\r\n\r\n", 1)
    n = int([l.split(b":")[1] for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")][0])
    while len(rest) < n:
        d = t.recv(65536)
        assert d, "closed in the middle of an answer"
        rest += d
    return head, rest[:n]


def until_closed(t, limit=None):
    """Everything the server sends until it ends the connection (an orderly close, a reset or a
    TLS error), or until a receive times out or `limit` seconds have passed: (data, closed)."""
    data, t0 = b"", time.time()
    while limit is None or time.time() - t0 < limit:
        try:
            d = t.recv(65536)
        except socket.timeout:
            return data, False
        except OSError:  # reset, TLS alert: the server ended it
            d = b""
        if not d:
            return data, True
        data += d
    return data, False
