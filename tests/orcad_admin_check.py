#!/usr/bin/python3
"""tests/orcad_admin_check.py: reload (SIGHUP and the admin message),
compact and shutdown against a running orcad, with Debian's
python3-websockets. Usage: orcad_admin_check.py PORT PID CONF, orcad
listening on 127.0.0.1:PORT as process PID with its --config at CONF (a
copy of server/orcad.conf.example this script edits). Every wait is bounded
(T seconds); any failure raises and exits non-zero."""
import asyncio, json, os, signal, sys, time
import websockets

PORT, PID, CONF = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
URI = "ws://127.0.0.1:%d/" % PORT
T = 5
GW, SUP, ADM = "change-me-gateway-0001", "change-me-supervisor-01", "change-me-admin-000001"
ORIGINAL = open(CONF).read()


async def call(ws, msg):
    msg = dict({"v": 1}, **msg)
    await ws.send(json.dumps(msg))
    while True:
        m = json.loads(await asyncio.wait_for(ws.recv(), T))
        if "id" in m:
            assert m["id"] == msg["id"], (m, msg)
            return m


async def open_as(token):
    ws = await asyncio.wait_for(websockets.connect(URI, subprotocols=["orca.v1"]), T)
    r = await call(ws, {"id": "h", "type": "hello", "token": token})
    assert r["ok"] is True, r
    return ws


def ok(r):
    assert r["ok"] is True, r
    return r


def write(text):
    with open(CONF + ".new", "w") as f:
        f.write(text)
    os.replace(CONF + ".new", CONF)


async def queue_names(sup, n):
    return sorted(q["name"] for q in ok(await call(sup, {"id": n, "type": "queues"}))["queues"])


async def positions(gw, n):
    return [ok(await call(gw, {"id": "%s-%d" % (n, i), "type": "position", "interaction": i}))["position"]
            for i in (100, 101, 102)]


async def main():
    gw, sup, adm = await open_as(GW), await open_as(SUP), await open_as(ADM)
    # Waiting work (every agent is OFFLINE after start): three in support.
    for i in (100, 101, 102):
        ok(await call(gw, {"id": "e%d" % i, "type": "enqueue", "interaction": i, "queue": "support",
                           "channel": "voice"}))
    assert await positions(gw, "p0") == [1, 2, 3]
    # Only the admin role may reload.
    r = await call(sup, {"id": "s1", "type": "reload"})
    assert r["ok"] is False and r["error"]["code"] == "EPERM", r

    # 1. SIGHUP after an edit: a queue and an agent added.
    edited = ORIGINAL.replace("queues = (\n", "queues = (\n  { name = \"vip\"; },\n", 1)
    edited = edited.replace("agents = (\n", "agents = (\n  { id = 2001; queues = { vip = 0; }; },\n", 1)
    assert edited != ORIGINAL
    write(edited)
    os.kill(PID, signal.SIGHUP)
    end = time.monotonic() + T
    while "vip" not in await queue_names(sup, "q1"):
        assert time.monotonic() < end, "SIGHUP did not add queue vip"
        await asyncio.sleep(0.05)
    assert await positions(gw, "p1") == [1, 2, 3]

    # 2. A bad file by the admin message: EINVAL, every error with its line,
    #    nothing changed.
    bad = edited.replace("{ name = \"vip\"; }", "{ name = \"vip\"; overflow = { to = \"nowhere\"; after_ms = 10; }; }")
    bad = bad.replace("{ id = 2001; queues = { vip = 0; }; }", "{ id = 2001; queues = { gone = 0; }; }")
    write(bad)
    r = await call(adm, {"id": "a1", "type": "reload"})
    assert r["ok"] is False and r["error"]["code"] == "EINVAL", r
    errs = r["error"]["errors"]
    assert len(errs) >= 2 and all(e.startswith(CONF + ":") for e in errs), errs
    assert any("nowhere" in e for e in errs) and any("gone" in e for e in errs), errs
    assert "vip" in await queue_names(sup, "q2")
    assert await positions(gw, "p2") == [1, 2, 3]

    # 3. Back to the original by the admin message: what changed is listed.
    write(ORIGINAL)
    r = ok(await call(adm, {"id": "a2", "type": "reload"}))
    c = r["changes"]
    assert c["queues_removed"] == ["vip"] and c["agents_removed"] == ["2001"], c
    assert c["queues_added"] == [] and c["tokens_replaced"] is False, c
    assert "vip" not in await queue_names(sup, "q3")
    assert await positions(gw, "p3") == [1, 2, 3]

    # 4. compact: the journal rewritten, its sizes in the reply.
    r = ok(await call(adm, {"id": "a3", "type": "compact"}))
    assert r["bytes_before"] > 0 and r["bytes_after"] > 0, r
    # 5. shutdown: ok, then orcad stops (the shell checks its exit).
    ok(await call(adm, {"id": "a4", "type": "shutdown"}))
    for ws in (gw, sup, adm):
        await ws.close()


asyncio.run(main())
print("ok")
