#!/usr/bin/python3
"""tests/orcad_tls_check.py: the WebSocket protocol over TLS (wss://), with
Debian's python3-websockets. Usage: orcad_tls_check.py PORT CERT: orcad
with TLS on 127.0.0.1:PORT, its self-signed certificate CERT taken as the
only CA (so the certificate is verified, host name included). Bounded
waits; any failure raises and exits non-zero."""
import asyncio, json, ssl, sys
import websockets

PORT, CERT = int(sys.argv[1]), sys.argv[2]


async def main():
    ctx = ssl.create_default_context(cafile=CERT)
    ws = await asyncio.wait_for(websockets.connect("wss://127.0.0.1:%d/" % PORT, ssl=ctx,
                                                   subprotocols=["orca.v1"]), 5)
    await ws.send(json.dumps({"v": 1, "id": 1, "type": "hello", "token": "change-me-supervisor-01"}))
    r = json.loads(await asyncio.wait_for(ws.recv(), 5))
    assert r["ok"] is True and r["role"] == "supervisor", r
    await ws.send(json.dumps({"v": 1, "id": 2, "type": "queues"}))
    r = json.loads(await asyncio.wait_for(ws.recv(), 5))
    assert r["ok"] is True and len(r["queues"]) == 3, r
    await ws.close()


asyncio.run(main())
print("ok")
