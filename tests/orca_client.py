"""tests/orca_client.py: what the orcad protocol checks share (imported by
orcad_ws_check.py and orcad_clients_check.py): a connection with its
pushes kept aside, requests matched to their replies by id, and a raw
socket that does the WebSocket upgrade by hand (for clients that behave
badly on purpose). Call setup(port) first. Every wait is bounded (T)."""
import asyncio, json, socket
import websockets

T = 5
PORT = None
URI = None
GW, AG, SUP = "change-me-gateway-0001", "change-me-desktops-0001", "change-me-supervisor-01"
UPGRADE = (b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
           b"Sec-WebSocket-Protocol: orca.v1\r\n\r\n")


def setup(port):
    global PORT, URI
    PORT, URI = port, "ws://127.0.0.1:%d/" % port
    return URI


async def conn():
    return await asyncio.wait_for(websockets.connect(URI, subprotocols=["orca.v1"]), T)


async def recv(ws):
    return json.loads(await asyncio.wait_for(ws.recv(), T))


async def call(ws, msg):
    """Send a request; return its reply, keeping pushes (no "id") aside."""
    msg = dict({"v": 1}, **msg)
    await ws.send(json.dumps(msg))
    while True:
        m = await recv(ws)
        if "id" in m:
            assert m["id"] == msg.get("id"), (m, msg)
            return m
        ws.pushes.append(m)


async def push(ws, type_):
    """The next server push of this type (one seen earlier counts)."""
    while True:
        for k, m in enumerate(ws.pushes):
            if m["type"] == type_:
                return ws.pushes.pop(k)
        m = await recv(ws)
        assert "id" not in m, m
        ws.pushes.append(m)


async def open_as(token, n):
    ws = await conn()
    ws.pushes = []
    r = await call(ws, {"id": n, "type": "hello", "token": token})
    assert r["ok"] is True, r
    return ws, r


def ok(r):
    assert r["ok"] is True, r
    return r


def err(r, code):
    assert r["ok"] is False and r["error"]["code"] == code, r


def upgrade_raw(timeout=T, rcvbuf=None, keep=False):
    """A WebSocket upgrade on a plain socket: the server's response head
    (everything it sent, if it closed before the blank line), and the
    socket if keep (else it is closed)."""
    s = socket.socket()
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(timeout)
    s.connect(("127.0.0.1", PORT))
    s.sendall(UPGRADE)
    head = b""
    while b"\r\n\r\n" not in head:
        b = s.recv(1 if keep else 4096)  # (one byte at a time: nothing past the head)
        if not b:
            break
        head += b
    if not keep:
        s.close()
        return head
    assert b" 101 " in head.split(b"\r\n")[0], head
    return head, s


def frame(msg):
    """msg as a client's text frame (masked with a zero key)."""
    payload = json.dumps(msg).encode()
    n = len(payload)
    head = bytes([0x81, 0x80 | n]) if n < 126 else bytes([0x81, 0x80 | 126]) + n.to_bytes(2, "big")
    return head + b"\0\0\0\0" + payload
