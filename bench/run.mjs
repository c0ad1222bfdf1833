#!/usr/bin/env node
// `npm run bench`: the REST end-to-end benchmark, then Kannel's HTTP pipeline against the REST path
// (see bench/README.md for the others). Each runs in its own process, one after the other.
//   npm run bench                                  both, with their defaults
//   npm run bench -- kannel-http [options]         only the named one(s), with these options
//   npm run bench -- --duration 10                 options without a name: rest-e2e only, as before
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BENCHMARKS = ['rest-e2e', 'kannel-http'];
const args = process.argv.slice(2);
const names = [];
while (args.length && BENCHMARKS.includes(args[0])) names.push(args.shift());
if (!names.length && args[0] && !args[0].startsWith('-')) {
  console.error(`unknown benchmark ${args[0]}; one of ${BENCHMARKS.join(', ')}`);
  process.exit(2);
}
if (args.length && !names.length) names.push('rest-e2e');

let failed = 0;
for (const name of names.length ? names : BENCHMARKS) {
  const script = fileURLToPath(new URL(`./${name}.mjs`, import.meta.url));
  const r = spawnSync(process.execPath, [script, ...args], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
