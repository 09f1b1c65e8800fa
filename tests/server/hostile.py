"""Hostile and legitimate clients for the server's attack tests (issue 10), loopback only, every
loop bounded in time.

  hostile.py flood KIND PORT N SECONDS     N connections of one KIND, each reopened when the
                                           server cuts it, for SECONDS; prints a JSON summary
      trickle    TLS handshake, then one byte of a request every second (slowloris)
      silent     TLS handshake, then nothing
      raw        TCP connect, never a TLS byte
  hostile.py legit PORT CA REVIEW SECONDS  a review on a fresh TLS connection every 50 ms, as the
                                           apiserver's first request on a new connection; prints
                                           a JSON summary of the latencies (ms) and failures
  hostile.py wave PORT N                   N TLS connections, one GET /healthz each, all held
                                           open at once, then all closed
"""
import asyncio
import json
import socket
import ssl
import sys
import time

from rawhttp import answer


def _insecure():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


async def _one(kind, port, ctx, stop, stats):
    while time.monotonic() < stop:
        writer = None
        try:
            if kind == "raw":
                reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 10)
            else:
                reader, writer = await asyncio.wait_for(
                    asyncio.open_connection("127.0.0.1", port, ssl=ctx, server_hostname="x"), 10)
            stats["connected"] += 1
            payload = b"POST /validate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            i = 0
            while time.monotonic() < stop:
                if kind == "trickle":
                    writer.write(payload[i % len(payload):i % len(payload) + 1])
                    i += 1
                    await writer.drain()
                try:
                    data = await asyncio.wait_for(reader.read(4096), 1.0)
                except asyncio.TimeoutError:
                    continue
                if not data:
                    stats["cut"] += 1
                    break
        except (OSError, ssl.SSLError, asyncio.TimeoutError, ConnectionError):
            stats["errors"] += 1
            await asyncio.sleep(0.05)
        finally:
            if writer is not None:
                writer.close()


def flood(kind, port, n, seconds):
    assert kind in ("trickle", "silent", "raw"), kind
    stats = {"kind": kind, "connections": n, "connected": 0, "cut": 0, "errors": 0}
    ctx = _insecure()

    async def main():
        stop = time.monotonic() + seconds
        tasks = []
        for i in range(n):
            tasks.append(asyncio.ensure_future(_one(kind, port, ctx, stop, stats)))
            if i % 100 == 99:
                await asyncio.sleep(0.01)  # a ramp, not a burst the kernel's backlog drops
        await asyncio.gather(*tasks, return_exceptions=True)

    asyncio.run(main())
    print(json.dumps(stats), flush=True)


def legit(port, ca, review_path, seconds):
    body = open(review_path, "rb").read()
    ctx = ssl.create_default_context(cafile=ca)
    req = (b"POST /validate?timeout=5s HTTP/1.1\r\nHost: gopreflight-webhook.gopreflight.svc\r\n"
           b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body)) + body
    lat, failures = [], []
    stop = time.monotonic() + seconds
    while time.monotonic() < stop:
        t0 = time.monotonic()
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=10)
            t = ctx.wrap_socket(s, server_hostname="gopreflight-webhook.gopreflight.svc")
            t.settimeout(10)
            t.sendall(req)
            head, got = answer(t)
            t.close()
            if not head.startswith(b"HTTP/1.1 200") or b'"kind":"AdmissionReview"' not in got:
                failures.append(head[:60].decode("latin-1"))
            else:
                lat.append((time.monotonic() - t0) * 1000)
        except (OSError, ssl.SSLError, AssertionError) as e:
            failures.append("%s after %.0f ms" % (e, (time.monotonic() - t0) * 1000))
        time.sleep(0.05)
    lat.sort()
    pick = lambda q: round(lat[min(len(lat) - 1, int(q * len(lat)))], 1) if lat else None
    print(json.dumps({"reviews": len(lat), "failures": len(failures), "first_failures": failures[:3],
                      "p50_ms": pick(0.5), "p99_ms": pick(0.99), "max_ms": round(lat[-1], 1) if lat else None}),
          flush=True)


def wave(port, n):
    ctx = _insecure()

    async def main():
        sem = asyncio.Semaphore(200)  # handshakes in flight at once

        async def one():
            async with sem:
                r, w = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port, ssl=ctx, server_hostname="x"), 30)
                w.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                data = b""
                while not data.endswith(b"ok\n"):
                    d = await asyncio.wait_for(r.read(4096), 30)
                    assert d, "closed before /healthz answered"
                    data += d
                return w

        writers = await asyncio.gather(*[one() for _ in range(n)])
        for w in writers:
            w.close()
        return len(writers)

    print(json.dumps({"held": asyncio.run(main())}), flush=True)


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "flood":
        flood(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]))
    elif cmd == "legit":
        legit(int(sys.argv[2]), sys.argv[3], sys.argv[4], float(sys.argv[5]))
    elif cmd == "wave":
        wave(int(sys.argv[2]), int(sys.argv[3]))
    else:
        sys.exit("usage: see the docstring")
