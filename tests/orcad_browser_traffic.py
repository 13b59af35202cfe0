#!/usr/bin/python3
"""tests/orcad_browser_traffic.py: the traffic behind the dashboard test
(tests/orcad_browser_check.sh), with Debian's python3-websockets.
Usage: orcad_browser_traffic.py PORT STATE.json SECONDS

Against orcad on 127.0.0.1:PORT with the test's config (queues sales,
support and spare, agents 1..10, offers never time out): agents 1 and 2
answer four sales calls, agent 2 goes not ready, agent 1 takes a fifth
and keeps it (busy); then four more sales calls and one support call
wait, and one of the sales calls is abandoned. Agents 4, 5 and 6 are
ready (spare has no work) and 7 not ready; 3, 8, 9 and 10 stay offline:
every state has a different count, so a page that mixes two up fails. Once that is still, the engine's own view
(`queues` and `agents` from a supervisor connection) goes to STATE.json;
the connections stay open (so the agents keep their state) for SECONDS,
then close. Every wait is bounded."""
import asyncio, json, sys
import websockets

PORT, STATE, HOLD = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
URI = "ws://127.0.0.1:%d/" % PORT
T = 5
GW, AG, SUP = "browser-gateway-0001", "browser-agent-00001", "browser-super-00001"
ids = iter(range(1, 1 << 30))


async def open_as(token):
    ws = await asyncio.wait_for(websockets.connect(URI, subprotocols=["orca.v1"]), T)
    ws.pushes = []
    await call(ws, {"type": "hello", "token": token})
    return ws


async def call(ws, msg, want_ok=True):
    msg = dict({"v": 1, "id": next(ids)}, **msg)
    await ws.send(json.dumps(msg))
    while True:
        m = json.loads(await asyncio.wait_for(ws.recv(), T))
        if "id" not in m:
            ws.pushes.append(m)
            continue
        assert m["id"] == msg["id"], (m, msg)
        assert not want_ok or m["ok"], (m, msg)
        return m


async def offer(agents):
    """The next offer pushed to any of the agents' connections: (ws, id)."""
    for _ in range(T * 20):
        for ws in agents:
            for k, m in enumerate(ws.pushes):
                if m["type"] == "offer":
                    ws.pushes.pop(k)
                    return ws, m["interaction"]
        for ws in agents:
            try:
                m = json.loads(await asyncio.wait_for(ws.recv(), 0.05))
                ws.pushes.append(m)
            except asyncio.TimeoutError:
                pass
    raise AssertionError("no offer")


def state_of(a):
    if a["presence"] != "ready":
        return a["presence"]
    return "busy" if a["busy"] else "wrapup" if a["wrapup"] else "offered" if a["offered"] else "ready"


async def main():
    gw = await open_as(GW)
    ag = [await open_as(AG), await open_as(AG)]
    for k, ws in enumerate(ag):
        await call(ws, {"type": "login", "agent": k + 1})
        await call(ws, {"type": "presence", "presence": "ready"})
    enq = lambda i, q: call(gw, {"type": "enqueue", "interaction": i, "queue": q, "channel": "voice"})
    for i in range(1, 5):                      # answered calls: ASA and SL
        await enq(i, "sales")
        ws, iid = await offer(ag)
        await asyncio.sleep(0.4 * i)
        await call(ws, {"type": "accept", "interaction": iid})
        await asyncio.sleep(0.3)
        await call(ws, {"type": "end", "interaction": iid})
        await call(ws, {"type": "wrapup_done", "interaction": iid}, want_ok=False)
    await call(ag[1], {"type": "presence", "presence": "not_ready"})
    idle = [await open_as(AG) for _ in range(4)]
    for k, ws in enumerate(idle):
        await call(ws, {"type": "login", "agent": 4 + k})
        await call(ws, {"type": "presence", "presence": "ready" if k < 3 else "not_ready"})
    await enq(10, "sales")                     # agent 1 keeps this one: busy
    ws, iid = await offer(ag[:1])
    await call(ws, {"type": "accept", "interaction": iid})
    for i in range(11, 15):                    # nobody free: these wait
        await enq(i, "sales")
        await asyncio.sleep(0.6)
    await enq(20, "support")
    await asyncio.sleep(0.5)
    await call(gw, {"type": "abandon", "interaction": 14})
    sup = await open_as(SUP)
    qs = (await call(sup, {"type": "queues"}))["queues"]
    agents = (await call(sup, {"type": "agents"}))["agents"]
    by_state = {}
    for a in agents:
        by_state[state_of(a)] = by_state.get(state_of(a), 0) + 1
    state = {"queues": {q["name"]: q["waiting"] + q["offered"] for q in qs}, "agents": by_state}
    assert state["queues"] == {"sales": 3, "support": 1, "spare": 0}, state
    assert by_state == {"busy": 1, "not_ready": 2, "ready": 3, "offline": 4}, state
    with open(STATE + ".tmp", "w") as f:
        json.dump(state, f)
    import os
    os.rename(STATE + ".tmp", STATE)
    print("traffic: still:", json.dumps(state), flush=True)
    await asyncio.sleep(HOLD)
    for ws in [gw, sup] + ag + idle:
        await ws.close()


asyncio.run(main())
