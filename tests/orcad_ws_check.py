#!/usr/bin/python3
"""tests/orcad_ws_check.py: orcad's WebSocket protocol from the outside,
with Debian's python3-websockets. Usage: orcad_ws_check.py PORT (orcad
listening on 127.0.0.1:PORT with server/orcad.conf.example). Every wait is
bounded (T seconds); any failure raises and exits non-zero."""
import asyncio, json, socket, os, sys
import websockets
from orca_client import *  # conn, call, push, open_as, ok, err, upgrade_raw, frame, T, GW...

PORT = int(sys.argv[1])
URI = setup(PORT)


async def main():
    first = await conn()
    assert first.subprotocol == "orca.v1"
    await first.close()
    # A wrong token: EAUTH, and the connection stays unauthenticated.
    bad = await conn()
    bad.pushes = []
    err(await call(bad, {"id": 1, "type": "hello", "token": "nope"}), "EAUTH")
    err(await call(bad, {"id": 2, "type": "queues"}), "EAUTH")
    await bad.close()

    gw, r = await open_as(GW, "g1")
    assert r["role"] == "gateway" and r["protocol"] == 1, r
    # Malformed JSON: EPROTO with a null id; oversize: ETOOBIG.
    await gw.send("{not json")
    r = await recv(gw)
    assert r["id"] is None, r
    err(r, "EPROTO")
    await gw.send(json.dumps({"v": 1, "id": "big", "type": "queues", "pad": "x" * 70000}))
    r = await recv(gw)
    err(r, "ETOOBIG")
    err(await call(gw, {"id": "g2", "type": "login", "agent": 1001}), "EPERM")

    # An agent logs in, gets ready, is offered the work the gateway queues.
    ag, r = await open_as(AG, "a1")
    assert r["role"] == "agent", r
    ok(await call(ag, {"id": "a2", "type": "login", "agent": 1001}))
    ok(await call(ag, {"id": "a3", "type": "presence", "presence": "ready"}))
    r = ok(await call(gw, {"id": "g3", "type": "enqueue", "interaction": 100, "queue": "support",
                           "channel": "voice", "customer": 7}))
    assert r["interaction"] == 100, r
    o = await push(ag, "offer")
    assert o["interaction"] == 100 and o["agent"] == 1001 and o["queue"] == "support", o
    assert o["channel"] == "voice" and o["customer"] == 7, o
    ok(await call(ag, {"id": "a4", "type": "accept", "interaction": 100}))
    ok(await call(ag, {"id": "a5", "type": "end", "interaction": 100}))
    err(await call(ag, {"id": "a6", "type": "accept", "interaction": 100}), "ESTATE")  # in wrap-up
    # The gateway hears its interaction's outcomes as events, never an offer.
    evs = [(await push(gw, "event"))["event"] for _ in range(3)]
    assert [e["type"] for e in evs] == ["offered", "accepted", "ended"], evs
    assert all(e["interaction"] == 100 for e in evs), evs
    assert not gw.pushes, gw.pushes  # and nothing else: no offer

    # A cancelled offer is withdrawn: agent 1001 is in wrap-up, so 1002
    # (who serves support too) gets the next one.
    a2, _ = await open_as(AG, "b1")
    ok(await call(a2, {"id": "b2", "type": "login", "agent": 1002}))
    ok(await call(a2, {"id": "b3", "type": "presence", "presence": "ready"}))
    ok(await call(gw, {"id": "g4", "type": "enqueue", "interaction": 101, "queue": "support",
                       "channel": "voice"}))
    o = await push(a2, "offer")
    assert o["interaction"] == 101 and o["agent"] == 1002, o
    ok(await call(gw, {"id": "g5", "type": "cancel", "interaction": 101}))
    w = await push(a2, "withdraw")
    assert w == {"v": 1, "type": "withdraw", "interaction": 101, "reason": "cancelled"}, w
    assert not ag.pushes, ag.pushes  # 1001 never saw 1002's offer

    # The disconnect rule: 1002's only connection closes -> still READY
    # inside the grace period (10 s in the example config; NOT_READY after
    # it is checked by tests/orcad_clients_check.py with a short one).
    await a2.close()
    sup, _ = await open_as(SUP, "s1")
    await asyncio.sleep(0.3)
    agents = {a["agent"]: a for a in ok(await call(sup, {"id": "s2", "type": "agents"}))["agents"]}
    assert agents[1002]["presence"] == "ready", agents[1002]
    assert agents[1001]["presence"] == "ready", agents[1001]
    for ws in (gw, ag, sup):
        await ws.close()


async def subscribed():
    """subscribe: a supervisor gets the engine's events as they happen and
    the figures once a second; a gateway may not subscribe."""
    gw, _ = await open_as(GW, "sg1")
    err(await call(gw, {"id": "sg2", "type": "subscribe", "events": True}), "EPERM")
    sup, _ = await open_as(SUP, "ss1")
    r = ok(await call(sup, {"id": "ss2", "type": "subscribe", "events": True, "figures": True}))
    assert r["events"] is True and r["figures"] is True, r
    ok(await call(gw, {"id": "sg3", "type": "enqueue", "interaction": 900, "queue": "billing",
                       "channel": "voice"}))
    while True:
        e = await push(sup, "event")
        if e["event"]["type"] == "enqueued" and e["event"]["interaction"] == 900:
            break
    for _ in range(5):  # the first figures may predate the enqueue
        f = await push(sup, "figures")
        q = [q for q in f["queues"] if q["name"] == "billing"][0]
        if q["waiting"] >= 1:
            break
    assert q["waiting"] >= 1 and q["longest_wait_ms"] >= 0, f
    assert set(f["agents"]) == {"ready", "offered", "busy", "wrapup", "not_ready", "offline"}, f
    # The engine's clock is the wall clock at each request, not the last
    # timer's: a call cancelled 0.6 s after it arrived waited >= 0.5 s.
    await asyncio.sleep(0.6)
    ok(await call(gw, {"id": "sg4", "type": "cancel", "interaction": 900}))
    while True:
        e = await push(sup, "event")
        if e["event"]["type"] == "cancelled" and e["event"]["interaction"] == 900:
            break
    assert e["event"]["wait_ms"] >= 500, e
    # A gateway that asks for some outcomes hears only those: by default it
    # heard 900's cancel; asking for "timed_out" only, it hears nothing of
    # 901 (offered or not, then cancelled).
    while True:
        e = await push(gw, "event")
        if e["event"]["type"] == "cancelled" and e["event"]["interaction"] == 900:
            break
    r = ok(await call(gw, {"id": "sg5", "type": "outcomes", "events": ["timed_out"]}))
    assert r["events"] == ["timed_out"], r
    err(await call(sup, {"id": "ss3", "type": "outcomes", "events": []}), "EPERM")
    gw.pushes.clear()
    ok(await call(gw, {"id": "sg6", "type": "enqueue", "interaction": 901, "queue": "billing",
                       "channel": "voice"}))
    ok(await call(gw, {"id": "sg7", "type": "cancel", "interaction": 901}))
    while True:  # the supervisor sees the cancel happen...
        e = await push(sup, "event")
        if e["event"]["type"] == "cancelled" and e["event"]["interaction"] == 901:
            break
    await asyncio.sleep(0.2)
    assert not gw.pushes, gw.pushes  # ...the gateway, which asked not to, does not
    for ws in (gw, sup):
        await ws.close()


def slow_reader():
    """Backpressure: a client that sends 60,000 requests at once and reads
    slowly is slowed down, not cut off: orcad stops reading it while its
    answers pile up and reads on once they drain; every request is
    answered, in order, and the connection stays open."""
    import threading, time
    N = 60000  # ~6 MB of answers: more than the kernel buffers and the 1 MiB bound
    _, s = upgrade_raw(timeout=20, keep=True)

    def send_all():
        s.sendall(frame({"v": 1, "id": 0, "type": "hello", "token": GW}))
        s.sendall(b"".join(frame({"v": 1, "id": n, "type": "queues"}) for n in range(1, N + 1)))
    t = threading.Thread(target=send_all)
    t.start()
    buf, ids = b"", []
    while len(ids) < N + 1:
        chunk = s.recv(4096)
        assert chunk, "orcad closed a client that was only slow to read"
        buf += chunk
        while len(buf) >= 2:
            n, h = buf[1] & 0x7F, 2
            if n == 126:
                if len(buf) < 4:
                    break
                n, h = int.from_bytes(buf[2:4], "big"), 4
            if len(buf) < h + n:
                break
            m = json.loads(buf[h:h + n])
            buf = buf[h + n:]
            if "id" in m:
                ids.append(m["id"])
        time.sleep(0.0005)  # slower than orcad can answer
    t.join()
    s.close()
    assert ids == list(range(N + 1)), "replies missing or out of order"


def never_reads():
    """A client that never reads: a supervisor subscribed to every event,
    while a gateway makes thousands of them. Its own requests could not do
    it (orcad stops reading a client whose answers pile up: backpressure);
    the pushes it did not ask for take it past the bound, and orcad
    disconnects it (the wrapper checks orcad's log line)."""
    _, s = upgrade_raw(rcvbuf=4096, keep=True)
    for msg in ({"v": 1, "id": 1, "type": "hello", "token": SUP},
                {"v": 1, "id": 2, "type": "subscribe", "events": True}):
        s.sendall(frame(msg))

    async def flood_events():
        gw, _ = await open_as(GW, "nr1")
        n = 0
        for b in range(40):  # 40 x 250 calls queued and cancelled: ~10,000 events
            for k in range(250):
                n += 1
                await gw.send(json.dumps({"v": 1, "id": "q%d" % n, "type": "enqueue",
                                          "interaction": 50000 + n, "queue": "spanish",
                                          "channel": "chat"}))
                await gw.send(json.dumps({"v": 1, "id": "c%d" % n, "type": "cancel",
                                          "interaction": 50000 + n}))
            for _ in range(500):
                m = json.loads(await asyncio.wait_for(gw.recv(), T))
                while "id" not in m:  # (its own outcome events)
                    m = json.loads(await asyncio.wait_for(gw.recv(), T))
                assert m["ok"] is True, m
        await gw.close()
    asyncio.run(asyncio.wait_for(flood_events(), 40))
    s.close()


asyncio.run(asyncio.wait_for(main(), 60))
asyncio.run(asyncio.wait_for(subscribed(), 20))
slow_reader()
never_reads()
print("ok")
