#!/usr/bin/env python3
"""A TCP relay from the node's bridge address to the kube-apiserver on loopback, standing in for
kube-proxy's rule for the `kubernetes` Service, which this cluster does not run (cluster.sh): Pods
on the bridge cannot reach 127.0.0.1 of the host, nor the unrouted ClusterIP. Bytes are relayed
as they are (TLS end to end: the Pod checks the apiserver's certificate, which names the node's
address, and authenticates with its own service-account token).

Usage: apiserver_relay.py LISTEN_HOST UPSTREAM_PORT PORT_FILE
Listens on LISTEN_HOST at a free port and writes that port to PORT_FILE once listening.
"""
import asyncio
import os
import sys

listen_host, upstream_port, port_file = sys.argv[1], int(sys.argv[2]), sys.argv[3]


async def pipe(reader, writer):
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        writer.close()


async def handle(client_reader, client_writer):
    try:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", upstream_port)
    except OSError:
        client_writer.close()
        return
    await asyncio.gather(pipe(client_reader, up_writer), pipe(up_reader, client_writer))


async def main():
    server = await asyncio.start_server(handle, listen_host, 0)
    with open(port_file + ".tmp", "w") as f:
        f.write(str(server.sockets[0].getsockname()[1]))
    os.rename(port_file + ".tmp", port_file)
    async with server:
        await server.serve_forever()


asyncio.run(main())
