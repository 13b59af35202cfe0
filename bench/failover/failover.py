#!/usr/bin/python3
"""bench/failover/failover.py: `make failover`, the measure of a failover.

Starts Debian's redis-server on a free loopback port (no persistence) and
two orcads on free ports, each with its own data dir in a temp dir, both
as `--standby` following the same stream with `--ack MODE --lease-ms 500`:
the first takes the lease (it prints "leader of epoch N"), the second
follows. Gateways queue interactions at a steady rate with unique ids;
agents accept every offer, hold it 20-200 ms and end it. Every client has
both servers' addresses and, on any disconnect, tries them in turn every
50 ms until a `hello` succeeds (a standby refuses). Every 1.5-4 s the
leader is killed with SIGKILL and at once started again, as a standby, on
the same data dir and port; the next kill waits until a leader serves
again. After the last kill the load stops and the work drains.

Counted from the clients' own records (docs in bench/failover/README or
/work/shared/docs/BENCH.md "Failover"):
  acknowledged   enqueues with an ok reply (a resend's `duplicate` too, and
                 EEXIST: it is there)
  lost           acknowledged interactions no agent ended (an end with ok,
                 or ENOENT/ESTATE for an end resent after a disconnect)
  duplicated     interactions ended twice, offered after they were ended,
                 or accepted (ok) by two agents
  double_offers  interactions held by two agents at once (held: from the
                 offer push to the end's ok, a withdraw, the accept's
                 refusal or the agent's disconnect; accepted work is held
                 again from the agent's next login until its end)
  failover_ms    per kill: from the kill (time.monotonic) to the first offer
                 an agent receives on a connection opened after the kill
Each CSV row counts the interactions queued after its kill and before the
next one (the first row also those before the first kill, the last also
the drain). Exit status 1 if lost, duplicated or double_offers is not 0,
if a client saw what cannot happen (offered work it holds already; a
refused end), or a kill saw no new leader (or no offer) within 10 s.

--self-check checks the counting itself on made-up records (make failover
runs it first).

--plain runs one plain orcad (no Redis) under the same load: with
--kills 0, for --duration seconds (the clients' bookkeeping alone); else
each kill restarts it on its own journal (a restart, not a failover). For
debugging the driver.
Needs python3-websockets (Debian's); every process is stopped at exit.
"""
import argparse, asyncio, collections, json, os, random, shutil, signal, socket
import statistics, sys, tempfile, time
import websockets

GW_TOKEN = "failover-gateway-0001"
AG_TOKEN = "failover-agents-00001"
FIRST_AGENT = 1001               # agents 1001.. in failover.conf
RETRY_S = 0.05                   # a client's pause between two servers
REPLY_S = 5                      # a reply later than this: the connection is dropped
LEADER_S = 10                    # a kill with no leader serving after this fails
HERE = os.path.dirname(os.path.abspath(__file__))


def now():
    return time.monotonic()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def log(*a):
    print("failover: " + " ".join(str(x) for x in a), flush=True)


class Lost(Exception):
    """A request with no reply: sent says whether it left us."""

    def __init__(self, sent):
        super().__init__("sent" if sent else "not sent")
        self.sent = sent


# ---------------------------------------------------------------- processes

class Proc:
    """A child in its own process group; its output goes to a log file and
    each line is handed to on_line."""

    def __init__(self, name, logpath):
        self.name, self.logpath, self.p, self.reader = name, logpath, None, None
        self.on_line = None

    async def start(self, argv):
        logf = open(self.logpath, "ab")
        logf.write(("---- %s\n" % " ".join(argv)).encode())
        logf.flush()
        self.p = await asyncio.create_subprocess_exec(
            *argv, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT, start_new_session=True)
        self.reader = asyncio.create_task(self._read(self.p, logf))

    async def _read(self, p, logf):
        try:
            while True:
                line = await p.stdout.readline()
                if not line:
                    break
                logf.write(line)
                logf.flush()
                if self.on_line:
                    self.on_line(line.decode(errors="replace"))
        finally:
            logf.close()

    def alive(self):
        return self.p is not None and self.p.returncode is None

    def send_signal(self, sig):
        if self.alive():
            try:
                os.killpg(self.p.pid, sig)
            except ProcessLookupError:
                pass

    async def wait(self, timeout):
        if self.p is None:
            return True
        try:
            await asyncio.wait_for(self.p.wait(), timeout)
            if self.reader:
                await asyncio.wait_for(self.reader, 2)
            return True
        except asyncio.TimeoutError:
            return False

    async def stop(self, sig=signal.SIGTERM, timeout=5):
        self.send_signal(sig)
        if not await self.wait(timeout):
            self.send_signal(signal.SIGKILL)
            await self.wait(5)


class Server(Proc):
    """One orcad: its port, data dir, and when it last said it leads."""

    def __init__(self, run, idx):
        super().__init__("orcad%d" % idx, os.path.join(run.tmp, "orcad%d.log" % idx))
        self.run, self.idx = run, idx
        self.port = free_port()
        self.data = os.path.join(run.tmp, "data%d" % idx)
        self.led_at = None           # this process printed "leader of epoch"
        self.on_line = self._line

    def _line(self, line):
        if "leader of epoch" in line:
            self.led_at = now()

    async def boot(self):
        a = self.run.args
        argv = [a.orcad, "--config", a.config, "--data-dir", self.data,
                "--listen", "127.0.0.1:%d" % self.port]
        if not a.plain:
            argv += ["--standby", "--redis", "127.0.0.1:%d/failover" % self.run.rport,
                     "--ack", a.ack, "--lease-ms", str(a.lease_ms)]
        self.led_at = None
        await self.start(argv)

    async def role(self):
        """healthz's role ("leader", "standby"), or None if it does not
        answer. Without a role field: "leader" if it printed so (or runs
        plain), else "standby"."""
        try:
            r, w = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", self.port), 1)
            try:
                w.write(b"GET /healthz HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
                body = await asyncio.wait_for(r.read(), 1)
            finally:
                w.close()
            h = json.loads(body.split(b"\r\n\r\n", 1)[1])
        except (OSError, asyncio.TimeoutError, ValueError, IndexError):
            return None
        if "role" in h:
            return h["role"]
        return "leader" if (self.run.args.plain or self.led_at) else "standby"


# ---------------------------------------------------------------- clients

class Conn:
    """One WebSocket to a server: replies matched to requests by id, pushes
    handed to on_push. closed is set when it goes, for any reason."""

    def __init__(self, ws, server, on_push):
        self.ws, self.server, self.on_push = ws, server, on_push
        self.opened, self.closed_at = now(), None
        self.replies = {}
        self.closed = asyncio.Event()
        self.reader = asyncio.create_task(self._read())

    async def _read(self):
        try:
            async for raw in self.ws:
                m = json.loads(raw)
                if "ok" in m and "id" in m:
                    f = self.replies.pop(m["id"], None)
                    if f and not f.done():
                        f.set_result(m)
                else:
                    self.on_push(m, self)
        except Exception:
            pass
        finally:
            self.closed_at = now()
            self.closed.set()
            for f in self.replies.values():
                if not f.done():
                    f.set_exception(Lost(True))
            self.replies.clear()

    def gone_at(self):
        """When the connection stopped counting: its close, or the kill of
        its server if that came first (a dead server holds nothing)."""
        t = self.closed_at if self.closed_at is not None else now()
        for k in self.server.run.kills:
            if k["server"] is self.server and self.opened < k["t"] < t:
                t = k["t"]
        return t

    async def request(self, msg):
        if self.closed.is_set():
            raise Lost(False)
        f = asyncio.get_running_loop().create_future()
        self.replies[msg["id"]] = f
        try:
            await self.ws.send(json.dumps(dict(msg, v=1)))
        except Exception:
            # (the socket is gone though the reader has not seen it yet)
            self.replies.pop(msg["id"], None)
            self.closed_at = self.closed_at or now()
            self.closed.set()
            raise Lost(False)
        try:
            return await asyncio.wait_for(asyncio.shield(f), REPLY_S)
        except asyncio.TimeoutError:
            log("%s: no reply to %s in %d s: dropping the connection" % (self.server.name, msg, REPLY_S))
            await self.close()
            raise Lost(True)

    async def close(self):
        try:
            await asyncio.wait_for(self.ws.close(), 1)
        except Exception:
            pass
        self.reader.cancel()
        await asyncio.wait([self.reader], timeout=1)   # (a cancel of ours still goes through)


async def connect(run, token, on_push, start):
    """Cycle through the servers every RETRY_S until a hello succeeds;
    None once the run is over."""
    i = start
    while not run.over:
        srv = run.servers[i % len(run.servers)]
        i += 1
        try:
            ws = await websockets.connect("ws://127.0.0.1:%d/" % srv.port, subprotocols=["orca.v1"],
                                          open_timeout=1, ping_interval=None, close_timeout=1,
                                          max_queue=None)
        except Exception:
            await asyncio.sleep(RETRY_S)
            continue
        c = Conn(ws, srv, on_push)
        try:
            r = await c.request({"id": "hello-%s" % token, "type": "hello", "token": token})
            if r["ok"]:
                return c
            run.note("hello refused by %s: %s" % (srv.name, r["error"]))
        except Lost:
            pass
        await c.close()
        await asyncio.sleep(RETRY_S)
    return None


class Client:
    """What gateways and agents share: a request counter and the connection
    of the current session (up while logged in)."""

    def __init__(self, run, n):
        self.run, self.n, self.conn, self.rid = run, n, None, 0
        self.up = asyncio.Event()

    def next_id(self):
        """Unique in the run: clients of one role share a token, and a
        server may remember request ids per token across connections."""
        self.rid += 1
        return "%s%d-%d" % (self.prefix, self.n, self.rid)

    async def session(self):
        """The connection of the current session; None once the run is over."""
        while not self.run.over:
            if self.up.is_set() and self.conn and not self.conn.closed.is_set():
                return self.conn
            await asyncio.sleep(0.01)
        return None

    async def ask(self, msg, c=None, forget_unsent=False):
        """Send msg; with no reply, send it again on the next session.
        Returns (reply, uncertain: an earlier send had no reply), or
        (None, ...) if the run ended, or if forget_unsent and it never left."""
        uncertain = False
        while True:
            if c is None or c.closed.is_set():
                c = await self.session()
                if c is None:
                    return None, uncertain
            if uncertain:
                self.run.resends[msg["type"]] += 1
            try:
                return await c.request(dict(msg, resend=True) if uncertain and self.resend_field else msg), uncertain
            except Lost as e:
                if e.sent:
                    uncertain = True
                elif forget_unsent and not uncertain:
                    self.run.forgotten += 1
                    return None, False
                c = None
                await asyncio.sleep(RETRY_S)


class Agent(Client):
    prefix, resend_field = "a", False

    def __init__(self, run, n):
        super().__init__(run, n)
        self.aid = FIRST_AGENT + n
        self.work = {}               # interaction -> "accepting", "accepted", "ending"

    def on_push(self, m, c):
        t = now()
        if m.get("type") == "offer" and m.get("agent") == self.aid:
            iid = m["interaction"]
            self.run.offered(iid, self.aid, t, c)
            st = self.work.get(iid)
            if st == "accepting":
                return               # its accept is resent: that answers this offer
            if st is not None:
                self.run.note("agent %d offered %d, which it holds (%s)" % (self.aid, iid, st), bad=True)
                return
            self.work[iid] = "accepting"
            asyncio.create_task(self.handle(iid, c))
        elif m.get("type") == "withdraw":
            self.run.held_until(m["interaction"], self.aid, t)
            self.run.withdrawn += 1

    async def handle(self, iid, c):
        r, _ = await self.ask({"id": self.next_id(), "type": "accept", "interaction": iid}, c,
                              forget_unsent=True)
        if r is None or not r["ok"]:
            if r is not None:
                self.run.void_accepts += 1
                self.run.held_until(iid, self.aid, now())
            self.work.pop(iid, None)
            return
        self.work[iid] = "accepted"
        self.run.accepted(iid, self.aid, now())
        await asyncio.sleep(self.run.rng.uniform(0.02, 0.2))
        self.work[iid] = "ending"
        r, uncertain = await self.ask({"id": self.next_id(), "type": "end", "interaction": iid})
        self.work.pop(iid, None)
        if r is None:
            return
        t = now()
        self.run.held_until(iid, self.aid, t)
        if r["ok"]:
            self.run.ended(iid, self.aid, t)
        elif uncertain and r["error"]["code"] in ("ENOENT", "ESTATE"):
            self.run.ended(iid, self.aid, t, uncertain=True)
        else:
            self.run.note("agent %d: end %d refused: %s" % (self.aid, iid, r["error"]), bad=True)

    async def main(self):
        while not self.run.over:
            c = await connect(self.run, AG_TOKEN, self.on_push, self.n)
            if c is None:
                return
            try:
                for msg in ({"type": "login", "agent": self.aid},
                            {"type": "presence", "presence": "ready"}):
                    r = await c.request(dict(msg, id=self.next_id()))
                    if not r["ok"]:
                        self.run.note("agent %d: %s refused: %s" % (self.aid, msg["type"], r["error"]))
                        raise Lost(True)
            except Lost:
                await c.close()
                await asyncio.sleep(RETRY_S)
                continue
            t = now()
            for iid, st in self.work.items():   # accepted work is this agent's again
                if st != "accepting":
                    self.run.holds[iid].append([self.aid, t, None])
                    self.run.held_by[self.aid].add(iid)
            self.conn = c
            self.up.set()
            await c.closed.wait()
            self.up.clear()
            t = c.gone_at()
            for iid in list(self.run.held_by[self.aid]):
                self.run.held_until(iid, self.aid, t)
            await c.close()


class Gateway(Client):
    prefix, resend_field = "e", True

    def __init__(self, run, n):
        super().__init__(run, n)
        self.pending = {}            # request id -> enqueue sent with no reply
        self.backlog = collections.deque()

    def on_push(self, m, c):
        pass                         # (outcome events: not needed here)

    async def produce(self):
        """L/G enqueues a second until the load stops, queued while down;
        then only what waits (EUNAVAIL) until the run is over."""
        rate = self.run.args.rate / self.run.args.gateways
        t0, made = now(), 0
        while not self.run.over:
            due = 0 if self.run.load_over else int((now() - t0) * rate) - made
            for _ in range(due):
                self.backlog.append(self.run.new_interaction())
            made += max(due, 0)
            self.flush()
            await asyncio.sleep(0.01)

    def flush(self):
        c = self.conn
        while self.backlog and self.up.is_set() and c and not c.closed.is_set():
            msg = self.backlog.popleft()
            asyncio.create_task(self.send(msg, c))

    async def send(self, msg, c):
        self.pending[msg["id"]] = msg
        r, _ = await self.ask(msg, c)
        self.pending.pop(msg["id"], None)
        if r is None:
            return
        iid = msg["interaction"]
        if r["ok"] or r["error"]["code"] == "EEXIST":
            self.run.acked(iid, r.get("duplicate", False) or not r["ok"])
        elif r["error"]["code"] == "EUNAVAIL":
            self.run.unavailable += 1
            await asyncio.sleep(0.1)
            self.backlog.append(msg)  # not acknowledged: offered again later
        else:
            self.run.note("enqueue %d refused: %s" % (iid, r["error"]), bad=True)

    async def main(self):
        while not self.run.over:
            c = await connect(self.run, GW_TOKEN, self.on_push, self.n)
            if c is None:
                return
            self.conn = c
            self.up.set()            # pending resends go through ask() on it
            self.flush()
            await c.closed.wait()
            self.up.clear()
            await c.close()


# ---------------------------------------------------------------- the run

class Run:
    def __init__(self, args):
        self.args, self.rng = args, random.Random(args.seed)
        self.tmp = tempfile.mkdtemp(prefix="orca-failover-")
        self.over = self.load_over = self.finished = False
        self.kills = []              # {"t", "server", "leader_t", "offer_t"}
        self.iid = 0
        self.created = {}            # interaction -> kill interval it was queued in
        self.acked_set, self.dup_acks = set(), 0
        self.offers = collections.defaultdict(list)     # interaction -> [(agent, t)]
        self.accepts = collections.defaultdict(set)
        self.ends = collections.defaultdict(list)       # interaction -> [(agent, t, uncertain)]
        self.holds = collections.defaultdict(list)      # interaction -> [[agent, from, until]]
        self.held_by = collections.defaultdict(set)     # agent -> interactions
        self.first_offer_after = {}  # kill index -> t
        self.void_accepts = self.withdrawn = self.unavailable = self.forgotten = 0
        self.resends = collections.Counter()   # request type -> sent again after a disconnect
        self.notes, self.bad = collections.Counter(), 0
        self.failures = []
        self.rport = None
        self.redis = []              # the primary, and a replica with --ack wait
        self.servers = []

    # the clients' records
    def note(self, what, bad=False):
        if self.notes[what] == 0 and len(self.notes) < 50:
            log(what)
        self.notes[what] += 1
        self.bad += bad

    def new_interaction(self):
        self.iid += 1
        iid = self.iid
        self.created[iid] = len(self.kills)
        q = self.rng.random() < 0.5
        return {"id": "e%d" % iid, "type": "enqueue", "interaction": iid,
                "queue": "calls" if q else "chats", "channel": "voice" if q else "chat"}

    def acked(self, iid, dup):
        self.acked_set.add(iid)
        self.dup_acks += dup

    def offered(self, iid, aid, t, c):
        self.offers[iid].append((aid, t))
        self.holds[iid].append([aid, t, None])
        self.held_by[aid].add(iid)
        k = len(self.kills)
        if k and c.opened > self.kills[-1]["t"] and self.kills[-1]["offer_t"] is None:
            self.kills[-1]["offer_t"] = t

    def held_until(self, iid, aid, t):
        for h in self.holds.get(iid, ()):
            if h[0] == aid and h[2] is None:
                h[2] = t
        self.held_by[aid].discard(iid)

    def accepted(self, iid, aid, t):
        """(After a resend's ok the work is this agent's again: held anew.)"""
        self.accepts[iid].add(aid)
        if not any(h[0] == aid and h[2] is None for h in self.holds[iid]):
            self.holds[iid].append([aid, t, None])
        self.held_by[aid].add(iid)

    def ended(self, iid, aid, t, uncertain=False):
        self.ends[iid].append((aid, t, uncertain))

    def counts(self):
        """Per kill row: [acknowledged, lost, duplicated, double_offers]."""
        rows = [[0, 0, 0, 0] for _ in range(max(len(self.kills), 1))]
        for iid, k in self.created.items():
            row = rows[min(max(k, 1), len(rows)) - 1]
            ends = self.ends.get(iid, [])
            if iid in self.acked_set:
                row[0] += 1
                row[1] += not ends
            first_end = min((e[1] for e in ends), default=None)
            if (len(ends) > 1 or len(self.accepts.get(iid, ())) > 1
                    or (first_end is not None and any(t > first_end for _, t in self.offers.get(iid, ())))):
                row[2] += 1
            hs = self.holds.get(iid, [])
            if any(a[0] != b[0] and a[1] < (b[2] or 1e18) and b[1] < (a[2] or 1e18)
                   for i, a in enumerate(hs) for b in hs[i + 1:]):
                row[3] += 1
        return rows

    # processes
    async def start_redis(self):
        """redis-server on a free port; with --ack wait a replica of it too
        (WAIT 1 needs one), up once its link to the primary is."""
        self.rport = free_port()
        self.redis = [Proc("redis", os.path.join(self.tmp, "redis.log"))]
        await self.redis_up(self.redis[0], self.rport, [])
        if self.args.ack == "wait":
            self.redis.append(Proc("redis-replica", os.path.join(self.tmp, "redis-replica.log")))
            await self.redis_up(self.redis[1], free_port(),
                                ["--replicaof", "127.0.0.1", str(self.rport)], b"master_link_status:up")

    async def redis_up(self, proc, port, extra, want=None):
        await proc.start(["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                          "--save", "", "--appendonly", "no", "--dir", self.tmp] + extra)
        ask = b"INFO replication\r\n" if want else b"PING\r\n"
        for _ in range(100):
            try:
                r, w = await asyncio.open_connection("127.0.0.1", port)
                w.write(ask)
                got = b""
                while not (want or b"+PONG") in got and not got.endswith(b"\r\n\r\n"):
                    b = await asyncio.wait_for(r.read(4096), 1)
                    if not b:
                        break
                    got += b
                w.close()
                if (want or b"+PONG") in got:
                    return
            except (OSError, asyncio.TimeoutError):
                pass
            await asyncio.sleep(0.1)
        raise RuntimeError("%s did not start (see %s)" % (proc.name, proc.logpath))

    async def leader(self, timeout):
        """The server whose healthz says leader, within timeout s; else None."""
        end = now() + timeout
        while now() < end:
            for s in self.servers:
                if s.alive() and await s.role() == "leader":
                    return s
            await asyncio.sleep(0.02)
        return None

    async def until(self, cond, timeout):
        end = now() + timeout
        while now() < end and not cond():
            await asyncio.sleep(0.02)
        return cond()

    async def kill_loop(self):
        a = self.args
        for k in range(1, a.kills + 1):
            await asyncio.sleep(self.rng.uniform(1.5, 4))
            old = await self.leader(LEADER_S)
            if old is None:
                self.failures.append("kill %d: no leader to kill" % k)
                return
            kill = {"t": now(), "server": old, "leader_t": None, "offer_t": None}
            old.send_signal(signal.SIGKILL)
            self.kills.append(kill)
            await old.wait(5)
            await old.boot()         # at once, as a standby on the same data dir and port
            new = await self.leader(LEADER_S)
            if new is None:
                self.failures.append("kill %d: no new leader within %d s" % (k, LEADER_S))
                return
            kill["leader_t"] = now()
            if not await self.until(lambda: kill["offer_t"] is not None, LEADER_S - (now() - kill["t"])):
                self.failures.append("kill %d: no offer from the new leader within %d s" % (k, LEADER_S))
                return
            other = [s for s in self.servers if s is not new]
            if other and not await self.until_role(other[0], "standby"):
                self.failures.append("kill %d: %s is not a standby within %d s" % (k, other[0].name, LEADER_S))
                return
            log("kill %d: %s killed, %s leads, first offer after %.0f ms" % (
                k, old.name, new.name, 1000 * (kill["offer_t"] - kill["t"])))

    async def drain(self, agents, gateways):
        """Stop the load; wait (at most 10 s) until every acknowledged
        interaction is ended and no enqueue waits for its reply."""
        self.load_over = True
        def done():
            return (all(not g.pending and not g.backlog for g in gateways)
                    and all(i in self.ends for i in self.acked_set))
        await self.until(done, 10)

    async def main(self):
        a = self.args
        if not a.plain:
            await self.start_redis()
        n = 1 if a.plain else 2
        self.servers = [Server(self, i) for i in range(n)]
        await self.servers[0].boot()
        if await self.leader(LEADER_S) is None:
            raise RuntimeError("the first orcad did not lead (see %s)" % self.servers[0].logpath)
        for s in self.servers[1:]:
            await s.boot()
            if not await self.until_role(s, "standby"):
                raise RuntimeError("%s did not come up as a standby" % s.name)
        agents = [Agent(self, i) for i in range(a.agents)]
        gateways = [Gateway(self, i) for i in range(a.gateways)]
        tasks = [asyncio.create_task(c.main()) for c in agents + gateways]
        if not await self.until(lambda: all(x.up.is_set() for x in agents + gateways), 10):
            raise RuntimeError("the clients did not all log in within 10 s")
        tasks += [asyncio.create_task(g.produce()) for g in gateways]
        t0 = now()
        if a.plain and a.kills == 0:
            await asyncio.sleep(a.duration)
        else:
            await self.kill_loop()
            await asyncio.sleep(self.rng.uniform(1.5, 4))   # the last kill's interval
        await self.drain(agents, gateways)
        self.elapsed = now() - t0
        self.finished = True
        self.over = True
        for c in agents + gateways:
            if c.conn:
                await c.conn.close()
        await asyncio.wait(tasks, timeout=5)
        for t in tasks:
            t.cancel()

    async def until_role(self, s, role):
        end = now() + LEADER_S
        while now() < end:
            if await s.role() == role:
                return True
            await asyncio.sleep(0.05)
        return False

    async def stop_all(self):
        for p in self.servers:
            await p.stop(signal.SIGTERM, timeout=3)
        for p in self.redis:
            await p.stop(signal.SIGKILL, timeout=3)


def self_check():
    """The counting, on made-up records: each rule must catch its case (a
    harness that cannot fail proves nothing)."""
    run = Run(argparse.Namespace(seed=1))
    shutil.rmtree(run.tmp, ignore_errors=True)
    run.kills = [{"t": 10.0}, {"t": 20.0}]
    def work(iid, k, acked=True, offers=(), accepts=(), ends=(), holds=()):
        run.created[iid] = k
        if acked:
            run.acked_set.add(iid)
        for aid, t in offers:
            run.offered(iid, aid, t, argparse.Namespace(opened=0.0))
        run.accepts[iid].update(accepts)
        for aid, t, unc in ends:
            run.ended(iid, aid, t, unc)
        for aid, t0, t1 in holds:
            run.holds[iid].append([aid, t0, t1])
    work(1, 0, ends=[(1, 1.0, False)])                          # fine (kill 1's row)
    work(2, 1)                                                  # lost
    work(3, 1, ends=[(1, 11.0, False), (2, 12.0, False)])       # ended twice
    work(4, 2, ends=[(1, 21.0, False)], offers=[(2, 22.0)])     # offered after its end
    work(5, 2, accepts=[1, 2], ends=[(1, 23.0, False)])         # accepted by two
    work(6, 2, ends=[(1, 24.0, False)], holds=[(1, 0.0, 2.0), (2, 1.0, 3.0)])   # held by two
    work(7, 2, ends=[(1, 25.0, False)], holds=[(1, 0.0, 1.0), (2, 1.0, 2.0)])   # one after the other
    work(8, 2, ends=[(1, 26.0, False)], holds=[(1, 0.0, None), (2, 5.0, 6.0)])  # never let go
    work(9, 2, ends=[(1, 27.0, True)])                          # an uncertain end: ended
    work(10, 2, acked=False)                                    # refused: not counted
    rows = run.counts()
    assert rows == [[3, 1, 1, 0], [6, 0, 2, 2]], rows
    print("failover: self-check OK (lost, ended twice, offered after the end, accepted by two, "
          "held by two at once, each counted; their look-alikes not)")


def report(run):
    a = run.args
    rows = run.counts()
    total = [sum(r[i] for r in rows) for i in range(4)]
    fo = [1000 * (k["offer_t"] - k["t"]) for k in run.kills if k["offer_t"] is not None]
    if run.kills and run.finished:   # (an interrupted run leaves the last file as it was)
        os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
        with open(a.out, "w") as f:
            f.write("kill,ack_mode,load_per_s,acknowledged,lost,duplicated,double_offers,failover_ms\n")
            for i, k in enumerate(run.kills):
                r = rows[i] if i < len(rows) else [0, 0, 0, 0]
                ms = "%.1f" % (1000 * (k["offer_t"] - k["t"])) if k["offer_t"] is not None else ""
                f.write("%d,%s,%d,%d,%d,%d,%d,%s\n" % (i + 1, a.ack, a.rate, r[0], r[1], r[2], r[3], ms))
    print("failover summary (%s): kills %d, load %d/s, %d gateways, %d agents, ack %s, %.1f s" % (
        "plain" if a.plain else a.out, len(run.kills), a.rate, a.gateways, a.agents,
        a.ack, getattr(run, "elapsed", 0)))
    print("  queued %d, acknowledged %d (%d as duplicates of a resend), ended %d" % (
        run.iid, total[0], run.dup_acks, len(run.ends)))
    print("  lost %d, duplicated %d, double_offers %d" % (total[1], total[2], total[3]))
    print("  resent after a disconnect: %d enqueues, %d accepts, %d ends; offers forgotten %d, "
          "accepts refused %d, withdrawn %d, enqueues EUNAVAIL %d; notes %d (bad %d)" % (
              run.resends["enqueue"], run.resends["accept"], run.resends["end"], run.forgotten,
              run.void_accepts, run.withdrawn, run.unavailable, sum(run.notes.values()), run.bad))
    if fo:
        q = statistics.quantiles(fo, n=10, method="inclusive") if len(fo) > 1 else [fo[0]] * 9
        print("  failover_ms median %.0f, p90 %.0f, max %.0f (%d kills)" % (
            statistics.median(fo), q[8], max(fo), len(fo)))
    lost = [i for i in run.acked_set if i not in run.ends]
    if lost:
        print("  lost interactions: %d, %d of them never offered (first 10: %s)" % (
            len(lost), sum(1 for i in lost if i not in run.offers), sorted(lost)[:10]))
    for f in run.failures:
        print("  FAILED: " + f)
    if run.failures:
        for s in run.servers:
            try:
                with open(s.logpath, errors="replace") as f:
                    tail = [l for l in f if "denied connection" not in l][-8:]   # (lws: a standby's 503s)
            except OSError:
                tail = []
            print("  -- last lines of %s:" % s.logpath)
            sys.stdout.writelines("     " + l for l in tail)
    fail = total[1] or total[2] or total[3] or run.failures or run.bad
    print("failover: %s%s" % ("FAILED" if fail else "OK",
                              " (logs in %s)" % run.tmp if fail or a.keep else ""))
    return 1 if fail else 0


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--kills", type=int, default=50)
    p.add_argument("--rate", type=int, default=200, help="enqueues per second, all gateways")
    p.add_argument("--agents", type=int, default=40)
    p.add_argument("--gateways", type=int, default=2)
    p.add_argument("--ack", default="redis", choices=["async", "redis", "wait"],
                   help="orcad's --ack mode (wait: a Redis replica is started too)")
    p.add_argument("--lease-ms", type=int, default=500)
    p.add_argument("--out", default="bench/results/failover.csv")
    p.add_argument("--orcad", default="build/server/orcad")
    p.add_argument("--config", default=os.path.join(HERE, "failover.conf"))
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--plain", action="store_true",
                   help="one plain orcad, no Redis: each kill restarts it on its journal")
    p.add_argument("--duration", type=float, default=10, help="seconds of load with --plain --kills 0")
    p.add_argument("--timeout", type=float, default=None, help="the whole run (default: 60 + 25 per kill)")
    p.add_argument("--keep", action="store_true", help="keep the temp dir (logs) even on success")
    p.add_argument("--self-check", action="store_true", help="check the counting on made-up records, then exit")
    a = p.parse_args()
    if a.self_check:
        self_check()
        return 0
    if a.seed is None:
        a.seed = random.randrange(1 << 30)
    with open(a.config) as f:
        have = sum(1 for l in f if "queues = { calls" in l)
    if not 1 <= a.agents <= have or a.gateways < 1 or a.rate < 1:
        p.error("--agents must be 1..%d (the agents in %s), --gateways and --rate positive" % (have, a.config))
    if not a.plain and not shutil.which("redis-server"):
        p.error("redis-server is missing (apt-get install redis-server)")
    timeout = a.timeout or (a.duration + 60 if a.plain and a.kills == 0 else 60 + 25 * a.kills)
    log("seed %d, %s" % (a.seed, "plain" if a.plain else "%d kills" % a.kills))
    run = Run(a)

    async def bounded():
        job = asyncio.create_task(run.main())
        def interrupted():
            run.failures.append("interrupted")
            job.cancel()
        for sig in (signal.SIGTERM, signal.SIGINT):   # stop cleanly: children too
            asyncio.get_running_loop().add_signal_handler(sig, interrupted)
        try:
            done, _ = await asyncio.wait([job], timeout=timeout)
            if not done:
                run.failures.append("the run took over %.0f s" % timeout)
                job.cancel()
                await asyncio.wait([job], timeout=10)
            elif not job.cancelled() and isinstance(job.exception(), RuntimeError):
                run.failures.append(str(job.exception()))
            elif not job.cancelled() and job.exception():
                raise job.exception()
        finally:
            run.over = True
            await run.stop_all()
    try:
        asyncio.run(bounded())
    finally:
        for p_ in run.servers + run.redis:
            if p_.alive():
                try:
                    os.killpg(p_.p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
    rc = report(run)
    if rc == 0 and not a.keep:
        shutil.rmtree(run.tmp, ignore_errors=True)
    return rc


if __name__ == "__main__":
    sys.exit(main())
