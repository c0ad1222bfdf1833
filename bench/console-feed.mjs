#!/usr/bin/env node
/* global window, requestAnimationFrame, PerformanceObserver -- evaluated in the browser page */
/**
 * The console's live feed under load: 1,000 messages a second sent through the REST API for
 * --duration seconds, with a console session watching the feed (Server-Sent Events).
 *
 * Phase 1 reads the feed in this process and reports whether it keeps up: every accepted message
 * must show up as `delivered` in the feed, and the lag (from a message's creation to the batch that
 * says it was delivered) must stay flat instead of growing. Phase 2 (when Debian's chromium is
 * installed) opens the Messages view in headless Chromium during the same load and reports what
 * the page received and how long its main thread took to answer while batches were applied.
 * Loopback only, bounded in count and time, stops by itself.
 *
 *   node bench/console-feed.mjs [--rate 1000] [--duration 10] [--json out.json]
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { auth, NUMBERS, PROJECT, sleep, startServer, TOKEN } from './console-server.mjs';

const { values: opts } = parseArgs({ options: { rate: { type: 'string', default: '1000' }, duration: { type: 'string', default: '10' }, json: { type: 'string' }, port: { type: 'string', default: '18782' } } });
const rate = Math.min(5000, Number(opts.rate));
const duration = Math.min(60, Number(opts.duration));
const port = Number(opts.port);
const hardStop = setTimeout(() => {
  console.error('benchmark exceeded its time cap; stopping');
  process.exit(1);
}, (duration * 2 + 180) * 1000);
hardStop.unref();

const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-feed-bench-'));
const server = await startServer({ port, dataDir, delayMs: 0 });
const base = server.base;
const pct = (sorted, p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] : NaN);

async function login() {
  const res = await fetch(`${base}/api/console/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ project_id: PROJECT, api_token: TOKEN }) });
  if (res.status !== 200) throw new Error(`login: ${res.status}`);
  return /^(switchboard_console=[^;]+)/.exec(res.headers.get('set-cookie'))[1];
}

/** Read the feed; `delivered` maps message id → lag in ms at the batch that said so. */
function watchFeed(cookie) {
  const ac = new AbortController();
  const state = { batches: 0, messages: 0, bytes: 0, resets: 0, maxBatch: 0, delivered: new Map(), done: null };
  state.done = (async () => {
    const res = await fetch(`${base}/api/console/events`, { headers: { cookie }, signal: ac.signal });
    const decoder = new TextDecoder();
    let buffered = '';
    try {
      for await (const chunk of res.body) {
        state.bytes += chunk.length;
        buffered += decoder.decode(chunk, { stream: true });
        let end;
        while ((end = buffered.indexOf('\n\n')) >= 0) {
          const frame = buffered.slice(0, end);
          buffered = buffered.slice(end + 2);
          if (!frame.startsWith('event: batch')) continue;
          const batch = JSON.parse(frame.slice(frame.indexOf('data: ') + 6));
          const now = Date.now();
          state.batches++;
          state.messages += batch.messages.length;
          state.maxBatch = Math.max(state.maxBatch, batch.messages.length);
          if (batch.reset) state.resets++;
          for (const m of batch.messages) if (m.status === 'delivered' && m.body === LOAD_BODY && !state.delivered.has(m.id)) state.delivered.set(m.id, now - Date.parse(m.created_at));
        }
      }
    } catch {
      // aborted
    }
  })();
  return { state, stop: () => ac.abort() };
}

const LOAD_BODY = 'Feed benchmark message';

async function load() {
  const body = JSON.stringify({ from: NUMBERS[0], to: '+15557654321', body: LOAD_BODY });
  return autocannon({ url: `${base}/api/messaging/messages`, method: 'POST', headers: { authorization: auth, 'content-type': 'application/json' }, body, connections: 32, duration, overallRate: rate });
}

console.log(`Switchboard console live feed — ${cpus().length} CPUs, node ${process.version}, ${rate} msgs/s for ${duration} s`);
// Warm-up, not measured.
await autocannon({ url: `${base}/api/messaging/messages`, method: 'POST', headers: { authorization: auth, 'content-type': 'application/json' }, body: JSON.stringify({ from: NUMBERS[0], to: '+15557654321', body: 'warm-up' }), connections: 8, amount: 2000 });
await sleep(1000);

// Phase 1: the feed read by this process.
const cookie = await login();
const feed = watchFeed(cookie);
await sleep(300);
const cpu0 = server.cpuSeconds();
const t0 = Date.now();
const run = await load();
const sent = Date.now();
const accepted = run['2xx'];
while (feed.state.delivered.size < accepted && Date.now() - sent < 30_000) await sleep(50);
const caughtUpMs = Date.now() - sent;
const cpu = server.cpuSeconds() - cpu0;
feed.stop();
const lags = [...feed.state.delivered.values()].sort((a, b) => a - b);
// Lag in the first and the last second of the load: flat means the feed keeps up.
const phase1 = {
  rate,
  durationS: duration,
  accepted,
  acceptedPerS: Math.round(accepted / ((sent - t0) / 1000)),
  non2xx: run.non2xx,
  seenDelivered: feed.state.delivered.size,
  caughtUpAfterLoadMs: caughtUpMs,
  lagP50Ms: pct(lags, 50),
  lagP99Ms: pct(lags, 99),
  lagMaxMs: lags[lags.length - 1],
  batchesPerS: +(feed.state.batches / ((Date.now() - t0) / 1000)).toFixed(1),
  maxBatchMessages: feed.state.maxBatch,
  feedKBPerS: Math.round(feed.state.bytes / 1024 / ((Date.now() - t0) / 1000)),
  resets: feed.state.resets,
  serverCpuPerMessageUs: Math.round((cpu / accepted) * 1e6),
};
console.log('\nPhase 1: feed read by a client process');
console.table(phase1);

// Phase 2: the Messages view in Chromium during the same load.
let phase2 = null;
const chromiumPath = process.env.SWITCHBOARD_CHROMIUM ?? '/usr/bin/chromium';
if (existsSync(chromiumPath)) {
  const { chromium } = await import('playwright-core');
  const profile = mkdtempSync(join(tmpdir(), 'switchboard-feed-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1280, height: 800 },
  });
  try {
    const page = await context.newPage();
    await page.goto(`${base}/console/`);
    await page.fill('input[name="project_id"]', PROJECT);
    await page.fill('input[name="api_token"]', TOKEN);
    await page.click('[data-action="login"]');
    await page.waitForSelector('[data-feed-state="live"]');
    await page.waitForSelector('[data-list="messages"]');
    const before = await page.evaluate(() => window.__switchboardFeed.stats.messages);
    // The page's own main-thread work: tasks over 50 ms, as Chromium reports them.
    await page.evaluate(() => {
      window.__longTasks = [];
      new PerformanceObserver((list) => window.__longTasks.push(...list.getEntries().map((e) => e.duration))).observe({ type: 'longtask', buffered: false });
    });
    const probes = [];
    let loading = true;
    const probe = (async () => {
      while (loading) {
        const t = performance.now();
        await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r(null))));
        probes.push(performance.now() - t);
        await sleep(200);
      }
    })();
    const r2 = await load();
    const end = Date.now();
    // Wait for the page to see the last messages delivered.
    let rowsDelivered = 0;
    while (Date.now() - end < 30_000) {
      rowsDelivered = await page.$$eval('[data-list="messages"] tbody tr', (rows) => rows.filter((r) => r.getAttribute('data-status') === 'delivered').length);
      const pending = await page.$$eval('[data-list="messages"] tbody tr', (rows) => rows.filter((r) => r.getAttribute('data-status') !== 'delivered').length);
      if (pending === 0) break;
      await sleep(100);
    }
    const settledMs = Date.now() - end;
    loading = false;
    await probe;
    const stats = await page.evaluate(() => window.__switchboardFeed.stats);
    const longTasks = (await page.evaluate(() => window.__longTasks)).sort((a, b) => a - b);
    const rows = await page.$$eval('[data-list="messages"] tbody tr', (r) => r.length);
    probes.sort((a, b) => a - b);
    phase2 = {
      accepted: r2['2xx'],
      updatesReceived: stats.messages - before,
      rowsShown: rows,
      rowsDelivered,
      allShownDeliveredAfterLoadMs: settledMs,
      frameRoundTripP50Ms: Math.round(pct(probes, 50)),
      frameRoundTripP95Ms: Math.round(pct(probes, 95)),
      frameRoundTripMaxMs: Math.round(probes[probes.length - 1]),
      pageLongTasks: longTasks.length,
      pageLongTaskMaxMs: Math.round(longTasks[longTasks.length - 1] ?? 0),
      pageLongTaskTotalMs: Math.round(longTasks.reduce((a, b) => a + b, 0)),
    };
    console.log('\nPhase 2: the Messages view in headless Chromium');
    console.table(phase2);
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
} else {
  console.log(`\nPhase 2 skipped: no Chromium at ${chromiumPath}`);
}

await server.stop();
rmSync(dataDir, { recursive: true, force: true });
if (opts.json) writeFileSync(opts.json, JSON.stringify({ phase1, phase2 }, null, 2));
// autocannon does not count answers still in flight when its time is up, so the feed may see a few more.
const keptUp = phase1.seenDelivered >= phase1.accepted && phase1.resets === 0;
console.log(`\nfeed ${keptUp ? 'kept up' : 'FELL BEHIND'}: ${phase1.seenDelivered}/${phase1.accepted} delivered messages seen, ${phase1.resets} resets`);
process.exit(keptUp ? 0 : 1);
