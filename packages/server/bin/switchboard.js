#!/usr/bin/env -S node --max-semi-space-size=32
// The `switchboard` command's entry point (package.json "bin"). `npm ci` installs but does not
// compile TypeScript, so in a checkout this launcher first builds what is missing or older than its
// sources (tsc -b for the server and protocol, then the web console), printing what it does on
// stderr, and then runs the compiled CLI. An installed package (no sources beside dist) runs as is.
//
// The shebang's flag: V8's young generation at 32 MB a half instead of 16 MB. A server making a
// message's records, events and answer allocates much that dies young; a larger nursery scavenges
// half as often (REST path +4 %, same peak RSS: docs/benchmarks.md, 2026-12-06). `npm start` and
// the benchmarks pass the flags of this line too; running dist/cli/main.js by hand, pass them.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const server = join(dirname(fileURLToPath(import.meta.url)), '..');
const root = join(server, '..', '..');
const cli = join(server, 'dist', 'cli', 'main.js');

/** Newest modification time under a path (0 when it does not exist); tests are not compiled, so they do not count. */
function newest(path) {
  if (!existsSync(path) || /\.test\.tsx?$/.test(path)) return 0;
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  let max = s.mtimeMs;
  for (const name of readdirSync(path)) max = Math.max(max, newest(join(path, name)));
  return max;
}

function run(what, args) {
  process.stderr.write(`switchboard: ${what}…\n`);
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) {
    process.stderr.write(`switchboard: ${what} failed; run \`npm run build\` in ${root} to see why\n`);
    process.exit(1);
  }
}

const inCheckout = existsSync(join(server, 'src')) && existsSync(join(root, 'scripts', 'build-console.mjs'));
if (inCheckout) {
  const buildInfo = join(server, 'dist', '.tsbuildinfo');
  const built = existsSync(cli) && existsSync(buildInfo) ? statSync(buildInfo).mtimeMs : 0;
  const sources = Math.max(newest(join(server, 'src')), newest(join(root, 'packages', 'protocol', 'src')), newest(join(server, 'package.json')));
  if (built < sources) {
    const tsc = createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc');
    run(built ? 'sources changed: compiling the server (tsc -b)' : 'first run: compiling the server (tsc -b, about 30 s)', [tsc, '-b', join(server, 'tsconfig.json')]);
  }
  // Incremental by itself: returns at once when the console is up to date.
  const consoleBuilt = existsSync(join(root, 'packages', 'console', 'dist', 'index.html'));
  if (!consoleBuilt) run('first run: building the web console (vite)', [join(root, 'scripts', 'build-console.mjs')]);
  else spawnSync(process.execPath, [join(root, 'scripts', 'build-console.mjs')], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
}
if (!existsSync(cli)) {
  process.stderr.write(`switchboard: ${cli} is missing; run \`npm run build\`\n`);
  process.exit(1);
}
await import(pathToFileURL(cli).href);
