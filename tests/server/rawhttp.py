"""Raw HTTP/1.1 over TLS for the server's integration tests: what curl and http.client hide
(framings curl will not send, interim answers, several connections in step)."""
import socket
import ssl

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
