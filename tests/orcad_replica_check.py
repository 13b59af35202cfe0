"""tests/orcad_replica_check.py: orcad's acknowledgement modes against a
real redis-server, and what clients see when Redis is unreachable (issue
13). Run by tests/orcad_replica_check.sh (which bounds it in time):

    python3 tests/orcad_replica_check.py ORCAD ORCACTL TMPDIR

Every part starts its own redis-server(s) on free loopback ports (no
persistence), its own orcads and, where the network is cut, the proxy
tests/tcp_cut_proxy.py between orcad and Redis; and stops them.
  a. --ack redis: with Redis paused (SIGSTOP) an enqueue gets no reply;
     once Redis runs again (SIGCONT) the reply comes, and the stream holds
     the records behind it.
  b. --ack redis, Redis killed: enqueue answers EUNAVAIL and queues
     nothing; Redis started again (empty): enqueues are accepted again
     within seconds, and every interaction acknowledged before is there.
  c. --ack redis, the leader's link cut through the proxy 4 times under a
     gateway that resends ("resend": true) what was not acknowledged:
     every acknowledged interaction is on the leader exactly once, and the
     standby (on Redis directly) ends equal to the leader. orcactl with
     the standby first in --server's list reaches the leader.
  d. --ack async, the link cut: enqueues are still acknowledged; /metrics
     says orcad_replica_connected 0, orcad_replica_whole 0, and the
     records journaled meanwhile count as failed (they are dropped, not
     queued: orcad_replica_lag_records stays 0); the link restored, the
     stream is whole again (a snapshot).
  e. --ack wait, a redis-server replica (--replicaof): replies come; with
     the replica paused an enqueue gets no reply for more than a second;
     once it runs again the reply comes (asked again by orcad's tick).
  f. --ack redis, Redis paused past the watchdog (1.5 s): the link and the
     marker sent on it are dropped; once Redis runs again the held reply
     goes with no other request to carry it, and a standby ends equal.
ORCAD_REPLICA_PARTS=bf runs only those parts.
Every wait is bounded; a failure raises (exit 1) with orcad's logs."""
import asyncio, json, os, signal, socket, subprocess, sys, time, urllib.request
import websockets

ORCAD, ORCACTL, TMP = sys.argv[1], sys.argv[2], sys.argv[3]
CONF = "server/orcad.conf.example"
GW, SUP = "change-me-gateway-0001", "change-me-supervisor-01"
procs = []          # everything started, stopped at the end whatever happens


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def until(what, cond, secs=10):
    end = time.monotonic() + secs
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() > end:
            raise AssertionError("timed out waiting: " + what)
        time.sleep(0.05)


def start(args, log):
    f = open(log, "w")
    p = subprocess.Popen(args, stdout=f, stderr=subprocess.STDOUT)
    p.log = log
    procs.append(p)
    return p


def stop(p, sig=signal.SIGTERM):
    if p.poll() is None:
        p.send_signal(sig)
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def cli(port, *args):
    return subprocess.run(["redis-cli", "-p", str(port)] + list(args), capture_output=True,
                          text=True, timeout=5).stdout.strip()


def redis(name, port=None, *extra):
    port = port or free_port()
    p = start(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
               "--appendonly", "no", "--dir", TMP] + list(extra), "%s/%s.log" % (TMP, name))
    p.port = port
    until("redis-server on %d" % port, lambda: cli(port, "ping") == "PONG")
    return p


def proxy(upstream):
    port = free_port()
    p = subprocess.Popen([sys.executable, "tests/tcp_cut_proxy.py", str(port), str(upstream)],
                         stdout=subprocess.PIPE, text=True)
    procs.append(p)
    assert p.stdout.readline().strip() == "ready"
    p.port = port
    return p


def orcad(name, redis_port, *extra):
    port = free_port()
    log = "%s/%s.log" % (TMP, name)
    p = start([ORCAD, "--run-for", "110", "--config", CONF, "--data-dir", "%s/%s" % (TMP, name),
               "--listen", "127.0.0.1:%d" % port, "--redis", "127.0.0.1:%d/t" % redis_port]
              + list(extra), log)
    p.port = port
    until(name + " running", lambda: p.poll() is None and "running" in open(log).read())
    return p


def metrics(port):
    body = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=5).read().decode()
    return {l.split()[0]: l.split()[1] for l in body.splitlines() if l and l[0] != "#"}


def metric(port, name):
    return int(float(metrics(port).get(name, "-1")))


def figures(port):
    try:
        return sorted((k, v) for k, v in metrics(port).items()
                      if k.startswith(("orca_waiting{", "orca_agents{", "orca_offered{")))
    except OSError:
        return None


class Client:
    """One WebSocket connection: requests matched to replies by id."""
    n = 0

    async def open(self, port, token):
        self.ws = await asyncio.wait_for(websockets.connect(
            "ws://127.0.0.1:%d/" % port, subprotocols=["orca.v1"]), 5)
        self.replies = {}
        r = await self.call({"type": "hello", "token": token})
        assert r["ok"], r
        return self

    async def send(self, msg):
        Client.n += 1
        rid = "r%d" % Client.n
        await self.ws.send(json.dumps(dict(msg, v=1, id=rid)))
        return rid

    async def reply(self, rid, secs=5):
        """The reply to rid, or None if none came within secs."""
        end = time.monotonic() + secs
        while rid not in self.replies:
            left = end - time.monotonic()
            if left <= 0:
                return None
            try:
                m = json.loads(await asyncio.wait_for(self.ws.recv(), left))
            except asyncio.TimeoutError:
                return None
            if "id" in m:
                self.replies[m["id"]] = m
        return self.replies.pop(rid)

    async def call(self, msg, secs=5):
        r = await self.reply(await self.send(msg), secs)
        assert r is not None, ("no reply", msg)
        return r

    async def close(self):
        await self.ws.close()


def enq(i, **kw):
    return dict({"type": "enqueue", "interaction": i, "queue": "support", "channel": "voice"}, **kw)


async def waiting_total(sup):
    r = await sup.call({"type": "queues"})
    assert r["ok"], r
    return sum(q["waiting"] for q in r["queues"])


async def present(sup, ids):
    for i in ids:
        r = await sup.call({"type": "position", "interaction": i})
        assert r["ok"], ("interaction %d is gone" % i, r)


# ---- a -------------------------------------------------------------------------

async def part_a():
    rd = redis("a-redis")
    ld = orcad("a-leader", rd.port, "--ack", "redis", "--lease-ms", "5000")
    gw = await Client().open(ld.port, GW)
    r = await gw.call(enq(1))
    assert r["ok"], r
    before = int(cli(rd.port, "xlen", "t:log"))
    assert before > 0, "the stream is empty after an acknowledged enqueue"
    rd.send_signal(signal.SIGSTOP)
    try:
        rid = await gw.send(enq(2))
        r = await gw.reply(rid, 1.0)
        assert r is None, ("a reply came while Redis was paused", r)
    finally:
        rd.send_signal(signal.SIGCONT)
    r = await gw.reply(rid, 5)
    assert r and r["ok"], ("no reply after Redis ran again", r)
    # the reply came after Redis took the record: it is in the stream now
    after = int(cli(rd.port, "xlen", "t:log"))
    assert after > before, (before, after)
    await gw.close()
    stop(ld)
    stop(rd)
    return "a reply held 1.0 s while Redis was paused, sent when it ran (stream %d -> %d)" % (
        before, after)


# ---- b -------------------------------------------------------------------------

async def part_b():
    rd = redis("b-redis")
    ld = orcad("b-leader", rd.port, "--ack", "redis", "--lease-ms", "5000")
    gw = await Client().open(ld.port, GW)
    sup = await Client().open(ld.port, SUP)
    for i in (1, 2, 3):
        assert (await gw.call(enq(i)))["ok"]
    stop(rd, signal.SIGKILL)
    until("the leader sees Redis gone", lambda: metric(ld.port, "orcad_replica_connected") == 0)
    r = await gw.call(enq(4))
    assert not r["ok"] and r["error"]["code"] == "EUNAVAIL", r
    rd = redis("b-redis2", rd.port)        # the same port, empty
    t0 = time.monotonic()
    k = 5
    while True:
        r = await gw.call(enq(k))
        if r["ok"]:
            break
        assert r["error"]["code"] == "EUNAVAIL", r
        assert time.monotonic() - t0 < 10, "enqueue still refused 10 s after Redis came back"
        k += 1
        await asyncio.sleep(0.1)
    back = time.monotonic() - t0
    # (replies other than refusals wait for Redis too: asked now)
    r = await sup.call({"type": "position", "interaction": 4})
    assert not r["ok"], ("a refused enqueue queued the interaction", r)
    await present(sup, (1, 2, 3, k))
    assert await waiting_total(sup) == 4
    await gw.close()
    await sup.close()
    stop(ld)
    stop(rd)
    return "EUNAVAIL while Redis was down, nothing queued; accepted again %.1f s after it came back " \
           "empty, the 3 acknowledged before still there" % back


# ---- c -------------------------------------------------------------------------

async def part_c():
    rd = redis("c-redis")
    px = proxy(rd.port)
    ld = orcad("c-leader", px.port, "--ack", "redis", "--lease-ms", "10000")
    sb = orcad("c-standby", rd.port, "--standby", "--lease-ms", "10000")
    gw = await Client().open(ld.port, GW)
    acked, refused, resent, cuts = set(), 0, 0, 0
    done = asyncio.Event()

    async def gateway():
        nonlocal refused, resent
        nonlocal gw
        i = 100
        while not done.is_set() or i < 160:
            i += 1
            msg = enq(i)
            while True:
                try:
                    r = await gw.call(msg, 2)
                except AssertionError:  # no reply in 2 s: resend it
                    r = None
                except websockets.ConnectionClosed:
                    gw = await Client().open(ld.port, GW)
                    r = None
                if r and r["ok"]:
                    acked.add(i)
                    break
                if r:
                    assert r["error"]["code"] == "EUNAVAIL", r
                    refused += 1
                resent += 1
                msg = enq(i, resend=True)
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.01)

    async def cutter():
        nonlocal cuts
        for _ in range(4):
            await asyncio.sleep(0.8)
            px.send_signal(signal.SIGUSR1)
            cuts += 1
            await asyncio.sleep(0.6)
            px.send_signal(signal.SIGUSR2)
        await asyncio.sleep(1.0)
        done.set()

    await asyncio.wait_for(asyncio.gather(gateway(), cutter()), 60)
    sup = await Client().open(ld.port, SUP)
    await present(sup, sorted(acked))
    total = await waiting_total(sup)
    assert total == len(acked), ("the leader has %d waiting, the gateway saw %d acknowledged"
                                 % (total, len(acked)))
    # once caught up, the standby's figures equal the leader's
    try:
        until("the standby equal to the leader",
              lambda: figures(ld.port) and figures(ld.port) == figures(sb.port), 15)
    except AssertionError:
        print("leader: ", figures(ld.port), "\nstandby:", figures(sb.port), file=sys.stderr)
        raise
    # orcactl: the standby first in the list (it answers 503), then the leader
    out = subprocess.run([ORCACTL, "--timeout", "5", "--token", SUP, "--server",
                          "ws://127.0.0.1:%d,ws://127.0.0.1:%d" % (sb.port, ld.port), "queues"],
                         capture_output=True, text=True, timeout=20)
    assert out.returncode == 0 and "support" in out.stdout, (out.returncode, out.stdout, out.stderr)
    await sup.close()
    await gw.close()
    assert "did not apply" not in open(sb.log).read()
    stop(ld)
    stop(sb)
    stop(px)
    stop(rd)
    return "%d cuts, %d acknowledged (%d EUNAVAIL, %d resends), each on the leader once; the " \
           "standby equal to the leader; orcactl went past the standby to the leader" % (
               cuts, len(acked), refused, resent)


# ---- d -------------------------------------------------------------------------

async def part_d():
    rd = redis("d-redis")
    px = proxy(rd.port)
    ld = orcad("d-leader", px.port, "--ack", "async", "--lease-ms", "5000")
    gw = await Client().open(ld.port, GW)
    assert (await gw.call(enq(1)))["ok"]
    until("whole", lambda: metric(ld.port, "orcad_replica_whole") == 1)
    px.send_signal(signal.SIGUSR1)
    until("the link seen cut", lambda: metric(ld.port, "orcad_replica_connected") == 0)
    failed0 = metric(ld.port, 'orcad_replica_records_total{what="failed"}')
    for i in range(2, 12):
        r = await gw.call(enq(i), 2)
        assert r["ok"], ("async mode refused work while Redis was cut", r)
    m = metrics(ld.port)
    failed1 = int(m['orcad_replica_records_total{what="failed"}'])
    assert m["orcad_replica_connected"] == "0" and m["orcad_replica_whole"] == "0", m
    assert failed1 >= failed0 + 10, (failed0, failed1)
    assert int(m["orcad_replica_lag_records"]) == 0, m["orcad_replica_lag_records"]
    px.send_signal(signal.SIGUSR2)
    until("the stream whole again", lambda: metric(ld.port, "orcad_replica_connected") == 1
          and metric(ld.port, "orcad_replica_whole") == 1)
    await gw.close()
    stop(ld)
    stop(px)
    stop(rd)
    return "10 enqueues acknowledged while cut; connected 0, whole 0, failed %d -> %d, lag_records 0; " \
           "whole again once restored" % (failed0, failed1)


# ---- e -------------------------------------------------------------------------

async def part_e():
    rd = redis("e-redis", None, "--repl-diskless-sync-delay", "0")  # (the replica syncs at once)
    rp = redis("e-replica", None, "--replicaof", "127.0.0.1", str(rd.port))
    until("the replica in sync", lambda: "master_link_status:up" in cli(rp.port, "info", "replication"))
    ld = orcad("e-leader", rd.port, "--ack", "wait", "--lease-ms", "5000")
    gw = await Client().open(ld.port, GW)
    r = await gw.call(enq(1))
    assert r["ok"], r
    rp.send_signal(signal.SIGSTOP)
    try:
        rid = await gw.send(enq(2))
        r = await gw.reply(rid, 1.5)
        assert r is None, ("a reply came while the Redis replica was paused", r)
    finally:
        rp.send_signal(signal.SIGCONT)
    r = await gw.reply(rid, 5)
    assert r and r["ok"], ("no reply after the replica ran again", r)
    await gw.close()
    stop(ld)
    stop(rp)
    stop(rd)
    return "replies with the replica up; none for 1.5 s with it paused, sent when it ran"


# ---- f -------------------------------------------------------------------------

async def part_f():
    rd = redis("f-redis")
    ld = orcad("f-leader", rd.port, "--ack", "redis", "--lease-ms", "5000")
    sb = orcad("f-standby", rd.port, "--standby", "--lease-ms", "5000")
    gw = await Client().open(ld.port, GW)
    assert (await gw.call(enq(1)))["ok"]
    rd.send_signal(signal.SIGSTOP)
    try:
        rid = await gw.send(enq(2))
        # past the watchdog (1.5 s): the link, and the marker on it, are dropped
        until("the link dropped", lambda: "silent for" in open(ld.log).read(), 5)
        r = await gw.reply(rid, 0.5)
        assert r is None, ("a reply came while Redis was paused", r)
    finally:
        rd.send_signal(signal.SIGCONT)
    # no other request: the held reply must go by itself once Redis is back
    r = await gw.reply(rid, 5)
    assert r and r["ok"], ("no reply after Redis came back", r)
    until("the standby equal to the leader", lambda: figures(ld.port) and
          figures(ld.port) == figures(sb.port), 10)
    await gw.close()
    stop(ld)
    stop(sb)
    stop(rd)
    return "a reply whose marker was lost with the link (Redis paused past the watchdog) went " \
           "once Redis was back, with no other request; the standby equal to the leader"


async def main():
    only = os.environ.get("ORCAD_REPLICA_PARTS", "abcdef")
    for name in only:
        t = time.monotonic()
        try:
            said = await globals()["part_" + name]()
        except BaseException:
            for p in procs:
                if getattr(p, "log", None) and p.args[0] == ORCAD:
                    print("  -- " + p.log, file=sys.stderr)
                    sys.stderr.write("".join("    " + l for l in open(p.log).readlines()[-30:]))
            raise
        print("  %s. %s (%.1f s)" % (name, said, time.monotonic() - t))


try:
    asyncio.run(main())
finally:
    for p in procs:
        if p.poll() is None:
            if p.args[0] == "redis-server":
                p.send_signal(signal.SIGCONT)
            p.kill()
            p.wait()
