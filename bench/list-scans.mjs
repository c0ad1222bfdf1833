#!/usr/bin/env node
/**
 * What a selective list filter costs over a large history: the message list query every surface
 * runs (the native message log, the Compatibility API's Messages.json, the console's list and its
 * body search `q`), timed in the store, with N messages of one project inserted in bulk (not
 * through HTTP). A filter few messages match (Status=canceled, a party that never wrote, a body
 * search with no match) reads the project's history until it has a page or the history ends; the
 * scan budget (`SWITCHBOARD_LIST_SCAN_ROWS`, docs/api/compat.md "Lists over a long history")
 * stops it after that many of the project's messages and hands back a cursor instead.
 *
 * Each query runs 3 times; the table shows the median, the rows returned and whether the answer
 * carries a continuation. Bounded: stops by itself.
 *
 *   node bench/list-scans.mjs [--messages 300000] [--postgres postgres://…/sb_bench] [--budget 20000]
 *
 * Needs `npm run build`. With --postgres the database is used as given (create an empty one).
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { openBenchStore, timeCap } from './lib/bench-store.mjs';

const { values: opts } = parseArgs({ options: { messages: { type: 'string', default: '300000' }, postgres: { type: 'string' }, budget: { type: 'string', default: '20000' } } });
const total = Math.min(1_000_000, Number(opts.messages));
timeCap(900_000);

const { store, close } = await openBenchStore({ postgres: opts.postgres, name: 'scan' });

const PROJECT = randomUUID();
const OURS = '+15551230001';
const T0 = Date.now() - total * 1000;
const other = (i) => `+1555700${String(i % 5000).padStart(4, '0')}`;

function row(i) {
  const inbound = i % 5 === 0;
  const at = T0 + i * 1000;
  // One message in 100,000 canceled (a status few messages have), the oldest one among them.
  const status = inbound ? 'received' : i % 100_000 === 1 ? 'canceled' : 'delivered';
  return {
    id: randomUUID(), projectId: PROJECT, direction: inbound ? 'inbound' : 'outbound', origin: inbound ? 'inbound' : 'rest',
    from: inbound ? other(i) : OURS, to: inbound ? OURS : other(i), body: `Your order #${i} is ready. Reply STOP to opt out.`,
    media: [], kind: 'sms', encoding: 'GSM-7', segments: 1, status, errorCode: null, errorMessage: null, reason: null,
    statusCallback: null, callbackFormat: null, customVariables: null, context: null, tags: [], numberGroupId: null, applicationId: null,
    price: null, priceUnit: 'USD', maxPrice: null, validityPeriod: 14400, expiresAt: at + 14_400_000, carrier: 'simulator', carrierMessageId: `SIM${i}`,
    createdAt: at, updatedAt: at, sentAt: inbound ? null : at + 10, redactedAt: null, deletedAt: null,
  };
}

let t = performance.now();
await store.projects.create({ id: PROJECT, name: 'Bench', signingKey: 'PSK_bench', createdAt: T0 });
for (let start = 0; start < total; start += 5000) {
  const rows = [];
  for (let i = start; i < Math.min(total, start + 5000); i++) rows.push(row(i));
  await store.transaction((tx) => tx.messages.insertMany(rows));
}
console.log(`filled ${total.toLocaleString()} messages in ${((performance.now() - t) / 1000).toFixed(1)} s (${opts.postgres ? 'PostgreSQL' : 'SQLite'})`);

const queries = [
  ['newest page, no filter (every surface)', {}, 51],
  ['native status=canceled / compat Status=canceled', { statuses: ['canceled'] }, 51],
  ['native from= a number that never sent', { from: '+15559999999' }, 51],
  ['compat To= + DateSent (one day, oldest)', { to: other(7), sentFrom: T0, sentTo: T0 + 86_400_000 }, 51],
  ['console q= no match', { bodyContains: 'zzzzzz' }, 51],
  ['console number= a party that never wrote', { party: '+15559999999' }, 51],
  ['console surface=compat (none)', { origins: ['compat'] }, 51],
];

// Each query twice: over the whole history (`list`, as before the budget), then within the budget.
for (const budget of [undefined, Number(opts.budget)]) {
  console.log(`\n${budget === undefined ? 'whole history (no budget)' : `scan budget ${budget.toLocaleString()} rows`}\n`);
  console.log('| query | rows | resume cursor | median ms |');
  console.log('|---|---|---|---|');
  for (const [name, filter, limit] of queries) {
    const times = [];
    let answer;
    for (let i = 0; i < 3; i++) {
      t = performance.now();
      answer = budget === undefined ? { rows: await store.messages.list(PROJECT, filter, { limit }), resumeSeq: null } : await store.messages.listScanned(PROJECT, filter, { limit }, budget);
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    console.log(`| ${name} | ${answer.rows.length} | ${answer.resumeSeq ?? ''} | ${times[1].toFixed(1)} |`);
  }
}
// The console's conversations: a GROUP BY over the whole project, or over the window of the budget
// (a page deep in the list, below the newest 1,000 messages, so the older threads are checked too).
const cursor = (await store.messages.list(PROJECT, {}, { limit: 1000 })).at(-1).seq;
for (const [name, read] of [
  ['whole history', (page) => store.messages.listConversations(PROJECT, {}, page)],
  [`scan budget ${Number(opts.budget).toLocaleString()}`, (page) => store.messages.listConversationsScanned(PROJECT, {}, page, Number(opts.budget))],
]) {
  const times = [];
  for (const page of [{ limit: 51 }, { limit: 51, beforeSeq: cursor }]) {
    t = performance.now();
    await read(page);
    times.push((performance.now() - t).toFixed(1));
  }
  console.log(`\nconsole conversations, ${name}: newest page ${times[0]} ms, a page below the newest 1,000 messages ${times[1]} ms`);
}

await close();
