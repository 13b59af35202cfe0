/* orcad's live dashboard. Connects to the server that served the page
 * (ws://same-host/, subprotocol "orca.v1"), says hello with the
 * supervisor token from the URL fragment (#token=...; or the login form),
 * subscribes to events and figures, and redraws on each figures message
 * (once a second). Settings in the fragment: token=..., sl=80 (the
 * service-level target in percent; below it a queue turns amber, below
 * target - 10 red). Reconnects with backoff (1 s doubling to 30 s). */
(function () {
  "use strict";
  var HISTORY = 300;                 /* sparkline points kept per queue (1/s) */
  var STATES = ["ready", "offered", "busy", "wrapup", "not_ready", "offline"];
  var params = parseFragment();
  var slTarget = clampNum(parseFloat(params.sl), 1, 100, 80);
  var history = {};                  /* queue name -> [longest wait ms, ...] */
  var ws = null, backoff = 1000, nextId = 1, lastFigures = null;

  function $(id) { return document.getElementById(id); }

  function parseFragment() {
    var out = {};
    location.hash.replace(/^#/, "").split("&").forEach(function (kv) {
      var i = kv.indexOf("=");
      if (i > 0) out[decodeURIComponent(kv.slice(0, i))] = decodeURIComponent(kv.slice(i + 1));
    });
    return out;
  }

  function clampNum(v, lo, hi, dflt) { return isFinite(v) && v >= lo && v <= hi ? v : dflt; }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  /* 75 ms, 12.3 s, 4m 05s */
  function dur(ms) {
    if (ms === null || ms === undefined) return "–";
    if (ms < 1000) return Math.round(ms) + " ms";
    var s = ms / 1000;
    if (s < 60) return s.toFixed(s < 10 ? 1 : 0) + " s";
    var m = Math.floor(s / 60), r = Math.floor(s % 60);
    return m + "m " + (r < 10 ? "0" : "") + r + "s";
  }

  function setStatus(live, text) {
    $("dot").className = live ? "dot live" : "dot";
    $("conn").textContent = text;
  }

  function send(msg) {
    msg.v = 1;
    msg.id = nextId++;
    ws.send(JSON.stringify(msg));
  }

  function connect() {
    var token = params.token;
    if (!token) { showLogin(); return; }
    $("login").hidden = true;
    setStatus(false, "connecting");
    ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/", "orca.v1");
    ws.onopen = function () { send({ type: "hello", token: token }); };
    ws.onmessage = function (m) {
      var msg;
      try { msg = JSON.parse(m.data); } catch (e) { return; }
      onMessage(msg);
    };
    ws.onclose = function () {
      setStatus(false, "reconnecting in " + Math.round(backoff / 1000) + " s");
      setTimeout(connect, backoff);
      backoff = Math.min(backoff * 2, 30000);
    };
  }

  function onMessage(msg) {
    if (msg.id !== undefined) {               /* a reply */
      if (!msg.ok) {
        setStatus(false, msg.error.code + ": " + msg.error.message);
        if (msg.error.code === "EAUTH") { params.token = ""; ws.onclose = null; ws.close(); showLogin(); }
        return;
      }
      if (msg.role) {                          /* hello */
        setStatus(true, "live as " + msg.role);
        backoff = 1000;
        send({ type: "subscribe", events: true, figures: true });
      }
      return;
    }
    if (msg.type === "figures") onFigures(msg);
    else if (msg.type === "event") onEvent(msg.event);
  }

  function showLogin() {
    setStatus(false, "no token");
    var f = $("login");
    f.hidden = false;
    f.onsubmit = function (ev) {
      ev.preventDefault();
      params.token = $("token").value.trim();
      if (params.token) { location.hash = "token=" + encodeURIComponent(params.token) + "&sl=" + slTarget; connect(); }
    };
  }

  /* ---- figures ---------------------------------------------------------- */

  function onFigures(f) {
    lastFigures = f;
    $("clock").textContent = new Date(f.now_ms).toLocaleTimeString();
    $("window").textContent = "· SL target " + slTarget + "% · counts over the last " + dur(f.window_ms);
    drawAgents(f.agents || {});
    drawQueues(f.queues || []);
  }

  function drawAgents(a) {
    var total = 0;
    STATES.forEach(function (s) { total += a[s] || 0; });
    $("agents-total").textContent = "· " + total;
    STATES.forEach(function (s) {
      document.querySelector('.state[data-state="' + s + '"] .n').textContent = a[s] || 0;
    });
    var bar = $("bar");
    bar.textContent = "";
    STATES.forEach(function (s) {
      if (!a[s]) return;
      var seg = el("span");
      seg.style.flexGrow = a[s];
      seg.style.background = "var(--" + s + ")";
      seg.title = s + ": " + a[s];
      bar.appendChild(seg);
    });
  }

  function slClass(sl) {
    if (sl === null || sl === undefined) return "";
    var p = sl * 100;
    return p >= slTarget ? "good" : p >= slTarget - 10 ? "warn" : "bad";
  }

  function card(name) {
    var c = el("div", "queue");
    c.dataset.queue = name;
    var head = el("div", "head");
    head.appendChild(el("span", "name", name));
    head.appendChild(el("span", "counts"));
    c.appendChild(head);
    var big = el("div", "big"), more = el("div", "more");
    [["waiting", "waiting", big], ["longest", "longest wait", big], ["sl", "service level", big],
     ["asa", "ASA", more], ["ewt", "est. wait", more], ["abandoned", "abandoned", more],
     ["fair", "fairness: Gini · max/min", more]].forEach(function (x) {
      var f = el("div", "fig" + (x[2] === more ? " small" : ""));
      f.dataset.fig = x[0];
      f.appendChild(el("span", "v", "–"));
      f.appendChild(el("span", "l", x[1]));
      x[2].appendChild(f);
    });
    c.appendChild(big);
    c.appendChild(more);
    var sp = el("div", "spark");
    sp.appendChild(document.createElementNS("http://www.w3.org/2000/svg", "svg"));
    var cap = el("div", "cap");
    cap.appendChild(el("span", "span"));
    cap.appendChild(el("span", "peak"));
    sp.appendChild(cap);
    c.appendChild(sp);
    return c;
  }

  function setFig(c, key, text, cls) {
    var v = c.querySelector('[data-fig="' + key + '"] .v');
    v.textContent = text;
    v.className = "v" + (cls ? " " + cls : "");
  }

  function drawQueues(queues) {
    var box = $("queues"), seen = {};
    if (!queues.length) { box.textContent = ""; box.appendChild(el("div", "empty", "No queues.")); return; }
    var empty = box.querySelector(".empty");
    if (empty) empty.remove();
    queues.forEach(function (q) {
      seen[q.name] = true;
      var c = box.querySelector('.queue[data-queue="' + CSS.escape(q.name) + '"]');
      if (!c) { c = card(q.name); box.appendChild(c); }
      var h = history[q.name] || (history[q.name] = []);
      h.push(q.longest_wait_ms);
      if (h.length > HISTORY) h.shift();
      var cls = slClass(q.service_level);
      c.className = "queue" + (cls ? " sl-" + cls : "");
      setFig(c, "waiting", String(q.waiting), q.waiting > 0 && cls === "bad" ? "bad" : "");
      setFig(c, "longest", q.waiting ? dur(q.longest_wait_ms) : "–", "");
      setFig(c, "sl", q.service_level === null ? "–" : Math.round(q.service_level * 100) + "%", cls);
      setFig(c, "asa", dur(q.asa_ms), "");
      setFig(c, "ewt", dur(q.ewt_ms), "");
      setFig(c, "abandoned", String(q.abandoned), q.abandoned ? "warn" : "");
      /* how evenly the window's work fell on the queue's agents: null while
       * none was ready; the ratio null while the least busy had no work */
      setFig(c, "fair", q.fairness_gini === null || q.fairness_gini === undefined ? "–"
        : q.fairness_gini.toFixed(2) + (q.fairness_max_min ? " · " + q.fairness_max_min.toFixed(1) + "×" : ""), "");
      c.querySelector(".counts").textContent = q.entered + " in · " + q.answered + " answered";
      spark(c, h);
    });
    Array.prototype.slice.call(box.querySelectorAll(".queue")).forEach(function (c) {
      if (!seen[c.dataset.queue]) { c.remove(); delete history[c.dataset.queue]; }
    });
  }

  /* The wait-time sparkline: an area under the longest wait, scaled to
   * the highest point kept (at least 10 s, so a quiet queue stays flat).
   * The x axis spans at least 30 s and at most HISTORY seconds, so a
   * fresh page draws a useful line at once. */
  function spark(c, h) {
    var svg = c.querySelector("svg"), W = 300, H = 56, max = 10000;
    var span = Math.max(30, h.length) - 1;
    h.forEach(function (v) { if (v > max) max = v; });
    svg.setAttribute("viewBox", "0 0 " + W + " " + H);
    svg.setAttribute("preserveAspectRatio", "none");
    var pts = h.map(function (v, i) {
      var x = (span - (h.length - 1) + i) * W / span;
      return x.toFixed(1) + "," + (H - 2 - (v / max) * (H - 6)).toFixed(1);
    });
    var x0 = ((span - (h.length - 1)) * W / span).toFixed(1);
    var ns = "http://www.w3.org/2000/svg";
    svg.textContent = "";
    var area = document.createElementNS(ns, "polygon");
    area.setAttribute("points", x0 + "," + H + " " + pts.join(" ") + " " + W + "," + H);
    area.setAttribute("fill", "rgba(88,166,255,0.18)");
    var line = document.createElementNS(ns, "polyline");
    line.setAttribute("points", pts.join(" "));
    line.setAttribute("fill", "none");
    line.setAttribute("stroke", "#58a6ff");
    line.setAttribute("stroke-width", "2");
    line.setAttribute("vector-effect", "non-scaling-stroke");
    svg.appendChild(area);
    svg.appendChild(line);
    c.querySelector(".peak").textContent = "peak " + dur(Math.max.apply(null, h));
    c.querySelector(".span").textContent = "longest wait, last " + dur((span + 1) * 1000);
  }

  /* ---- events ----------------------------------------------------------- */

  function onEvent(e) {
    var list = $("events");
    var li = el("li");
    li.appendChild(el("span", "t", new Date(e.time_ms).toLocaleTimeString()));
    li.appendChild(el("span", "k " + e.type, e.type));
    var what = [];
    if (e.interaction) what.push("#" + e.interaction);
    if (e.queue && lastFigures)
      lastFigures.queues.forEach(function (q) { if (q.id === e.queue) what.push(q.name); });
    if (e.agent) what.push("agent " + e.agent);
    if (e.wait_ms !== undefined && e.type !== "enqueued") what.push("waited " + dur(e.wait_ms));
    li.appendChild(el("span", "w", what.join(" · ")));
    list.insertBefore(li, list.firstChild);
    while (list.children.length > 40) list.removeChild(list.lastChild);
  }

  window.addEventListener("hashchange", function () { params = parseFragment(); });
  connect();
})();
