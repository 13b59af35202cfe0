// tests/browser/check.mjs: orcad's dashboard in headless Chromium, driven
// by playwright-core (tests/orcad_browser_check.sh runs it).
// Usage: node check.mjs PORT TOKEN STATE.json SCREENSHOT.png
//
// Opens http://127.0.0.1:PORT/#token=TOKEN before the traffic starts, so the
// sparklines see all of it; waits until the page is live; waits for the
// traffic driver's STATE.json (the engine's `queues` and `agents` answers
// once the traffic is still); then until the page shows exactly those
// numbers: each queue's waiting and the agents by state, checked against
// GET /snapshot's waiting at the same moment too. Then a screenshot.
// Every wait is bounded; any mismatch exits 1 and says what differed.
import { chromium } from 'playwright-core';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [port, token, statePath, shot] = process.argv.slice(2);
const base = `http://127.0.0.1:${port}`;
const STATES = ['ready', 'offered', 'busy', 'wrapup', 'not_ready', 'offline'];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const profile = mkdtempSync(join(tmpdir(), 'orca-chromium-'));

async function until(what, ms, fn) {
  const end = Date.now() + ms;
  let last;
  while (Date.now() < end) {
    last = await fn();
    if (last === true) return;
    await sleep(200);
  }
  throw new Error(`timed out waiting for ${what}: ${JSON.stringify(last)}`);
}

// What the page shows: waiting per queue card, agents per state.
async function shown(page) {
  return page.evaluate((states) => {
    const queues = {};
    for (const c of document.querySelectorAll('.queue[data-queue]'))
      queues[c.dataset.queue] = c.querySelector('[data-fig="waiting"] .v').textContent;
    const agents = {};
    for (const s of states)
      agents[s] = document.querySelector(`.state[data-state="${s}"] .n`).textContent;
    return { queues, agents, status: document.getElementById('conn').textContent };
  }, STATES);
}

let browser;
let rc = 1;
try {
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1280, height: 860 },
    timeout: 30000,
  });
  const page = browser.pages()[0] || await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  // Nothing may be fetched from anywhere but orcad.
  const outside = [];
  page.on('request', (r) => { if (!r.url().startsWith(base) && !r.url().startsWith('ws://127.0.0.1:' + port)) outside.push(r.url()); });
  await page.goto(`${base}/#token=${encodeURIComponent(token)}`, { timeout: 10000 });
  await until('the page to go live', 10000, async () =>
    (await shown(page)).status === 'live as supervisor' || (await shown(page)).status);
  await until('the traffic to be still', 40000, async () => existsSync(statePath) || 'no state yet');
  const engine = JSON.parse(readFileSync(statePath, 'utf8'));
  let page_;
  await until('the page to show the engine\'s numbers', 10000, async () => {
    page_ = await shown(page);
    const snap = await (await fetch(`${base}/snapshot`)).json();
    const diff = [];
    for (const [q, n] of Object.entries(engine.queues)) {
      if (page_.queues[q] !== String(n)) diff.push(`page ${q} waiting ${page_.queues[q]}, engine ${n}`);
      const sq = snap.queues.find((x) => x.name === q);
      if (!sq || sq.waiting !== n) diff.push(`snapshot ${q} waiting ${sq && sq.waiting}, engine ${n}`);
    }
    if (Object.keys(page_.queues).length !== Object.keys(engine.queues).length)
      diff.push(`page queues ${Object.keys(page_.queues)}`);
    for (const s of STATES)
      if (page_.agents[s] !== String(engine.agents[s] || 0))
        diff.push(`page ${s} ${page_.agents[s]}, engine ${engine.agents[s] || 0}`);
    return diff.length ? diff : true;
  });
  // A few more figures so the sparklines show the waits growing, and the
  // ticker has had its events.
  await sleep(4000);
  const ticker = await page.evaluate(() => document.querySelectorAll('#events li').length);
  if (ticker === 0) throw new Error('no events in the ticker');
  if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
  if (outside.length) throw new Error(`fetched from outside orcad: ${outside.join(' ')}`);
  await page.screenshot({ path: shot, fullPage: true });
  console.log(`browser: page shows ${JSON.stringify(page_.queues)} waiting, agents ${JSON.stringify(page_.agents)}; ${ticker} events; screenshot ${shot}`);
  rc = 0;
} catch (e) {
  console.error(`browser: FAIL: ${e.message}`);
} finally {
  if (browser) await browser.close().catch(() => {});
  rmSync(profile, { recursive: true, force: true });
}
process.exit(rc);
