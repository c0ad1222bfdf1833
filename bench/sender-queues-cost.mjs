#!/usr/bin/env node
/**
 * What the per-sender queues add to each dispatch claim when no sender has a rate (the REST path
 * of `npm run bench`: simulator numbers without `messages_per_second`). It runs the dispatcher's
 * two calls — `prime` (the senders' own rates, cached 10 s: one indexed lookup per sender not seen
 * lately, through the claim's transaction) and `rateOf` (per message) — over claims of 500
 * messages, against a real in-memory SQLite store, and reports the cost per message next to the
 * REST path's server CPU per message (docs/benchmarks.md: about 200–320 µs). Unrated senders add
 * no SQL statement to a claim beyond those cache misses.
 *
 *   node bench/sender-queues-cost.mjs [--messages 500000] [--senders 1]
 */
import { parseArgs } from 'node:util';
import { InProcessBus } from '../packages/server/dist/bus/in-process-bus.js';
import { systemClock } from '../packages/server/dist/domain/clock.js';
import { DEFAULT_SENDER_RATES } from '../packages/server/dist/domain/sender-rates.js';
import { SenderQueues } from '../packages/server/dist/engine/messages/sender-queues.js';
import { openSqliteStore } from '../packages/server/dist/store/dialects/sqlite.js';

const { values: opts } = parseArgs({ options: { messages: { type: 'string', default: '500000' }, senders: { type: 'string', default: '1' }, 'rest-micros': { type: 'string', default: '320' } } });
const total = Number(opts.messages);
const senderCount = Math.max(1, Number(opts.senders));
const CLAIM = 500;

const store = await openSqliteStore({ file: ':memory:' });
const now = Date.now();
const project = { id: '0b6c3d2e-1f4a-4b5c-8d9e-0a1b2c3d4e5f', name: 'bench', signingKey: 'PSK_bench', createdAt: now };
await store.projects.create(project);
const senders = Array.from({ length: senderCount }, (_, i) => `+1555${String(3_000_000 + i).padStart(7, '0')}`);
for (const [i, number] of senders.entries()) {
  await store.numbers.create({
    id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    projectId: project.id,
    number,
    name: null,
    numberType: 'longcode',
    countryCode: 'US',
    capabilities: ['sms', 'mms'],
    messageHandler: null,
    messageRequestUrl: null,
    messageRequestMethod: 'POST',
    messageFallbackUrl: null,
    messageFallbackMethod: 'POST',
    messageLamlApplicationId: null,
    messageRelayTopic: null,
    messageRelayContext: null,
    messagingHandlerResourceId: null,
    messagesPerSecond: null,
    createdAt: now,
    updatedAt: now,
  });
}
const queues = new SenderQueues({ clock: systemClock, bus: new InProcessBus() }, { defaults: DEFAULT_SENDER_RATES, queueLimitSeconds: 36_000 });
const claims = Array.from({ length: Math.ceil(total / CLAIM) }, (_, c) =>
  Array.from({ length: CLAIM }, (_, i) => ({ projectId: project.id, from: senders[(c * CLAIM + i) % senderCount], kind: 'sms', segments: 1, expiresAt: now + 3_600_000 })),
);

async function run() {
  let limited = 0;
  const t0 = process.hrtime.bigint();
  for (const batch of claims) {
    await queues.prime(store.numbers, batch);
    for (const m of batch) if (queues.rateOf(m, 'simulator') !== null) limited++;
  }
  return { ns: Number(process.hrtime.bigint() - t0) / claims.length / CLAIM, limited };
}

await run(); // warm-up (JIT, the rate cache)
const runs = [];
for (let i = 0; i < 5; i++) runs.push((await run()).ns);
runs.sort((a, b) => a - b);
const median = runs[2];
const restNs = Number(opts['rest-micros']) * 1000;
console.log({
  messages: claims.length * CLAIM,
  senders: senderCount,
  nsPerMessage: { median: Math.round(median), min: Math.round(runs[0]), max: Math.round(runs.at(-1)) },
  shareOfRestPathCpu: `${((median / restNs) * 100).toFixed(3)} % of ${opts['rest-micros']} µs`,
});
await store.close();
