"""tests/tcp_cut_proxy.py: a TCP proxy on loopback that can cut the network
on command, for the tests of orcad's link to Redis (what a pulled cable or
a dead switch does, which killing Redis does not: Redis keeps its data and
its other clients).

    python3 tests/tcp_cut_proxy.py LISTEN_PORT UPSTREAM_PORT

forwards 127.0.0.1:LISTEN_PORT to 127.0.0.1:UPSTREAM_PORT and prints
"ready" once it listens. Signals:
  SIGUSR1  cut: every connection is dropped at once (both sides closed,
           what was in flight is lost) and new ones are refused (accepted
           and closed at once) until SIGUSR2
  SIGUSR2  restore: new connections are forwarded again
  SIGTERM  stop
Python's stdlib only (asyncio)."""
import asyncio, signal, sys

LISTEN, UPSTREAM = int(sys.argv[1]), int(sys.argv[2])
links = set()      # the writers of every live connection, both sides
cut = False


async def pipe(reader, writer):
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        writer.close()


async def serve(creader, cwriter):
    if cut:
        cwriter.transport.abort()
        return
    try:
        ureader, uwriter = await asyncio.open_connection("127.0.0.1", UPSTREAM)
    except OSError:
        cwriter.transport.abort()
        return
    links.update((cwriter, uwriter))
    try:
        await asyncio.gather(pipe(creader, uwriter), pipe(ureader, cwriter))
    finally:
        links.discard(cwriter)
        links.discard(uwriter)


def do_cut():
    global cut
    cut = True
    for w in list(links):
        w.transport.abort()   # RST, nothing more forwarded either way
    links.clear()


def restore():
    global cut
    cut = False


async def main():
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    loop.add_signal_handler(signal.SIGUSR1, do_cut)
    loop.add_signal_handler(signal.SIGUSR2, restore)
    loop.add_signal_handler(signal.SIGTERM, lambda: stop.done() or stop.set_result(None))
    server = await asyncio.start_server(serve, "127.0.0.1", LISTEN)
    print("ready", flush=True)
    async with server:
        await stop


asyncio.run(main())
