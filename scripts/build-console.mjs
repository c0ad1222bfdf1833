#!/usr/bin/env node
/**
 * Build the web console (packages/console → packages/console/dist) with Vite, unless the build is
 * newer than every source it is made from: `npm start` stays instant when nothing changed.
 *
 *   node scripts/build-console.mjs [--force]
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const consoleDir = join(root, 'packages/console');
const output = join(consoleDir, 'dist/index.html');
// Everything the bundle is made from: the app, its config, and the protocol sources it imports.
const sources = [join(consoleDir, 'src'), join(consoleDir, 'index.html'), join(consoleDir, 'vite.config.ts'), join(consoleDir, 'package.json'), join(root, 'packages/protocol/src')];

function newest(path) {
  if (!existsSync(path)) return 0;
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  let max = s.mtimeMs;
  for (const name of readdirSync(path)) max = Math.max(max, newest(join(path, name)));
  return max;
}

const force = process.argv.includes('--force');
const built = existsSync(output) ? statSync(output).mtimeMs : 0;
if (!force && built > 0 && built >= Math.max(...sources.map(newest))) process.exit(0);

const started = Date.now();
const { build } = await import('vite');
await build({ root: consoleDir, configFile: join(consoleDir, 'vite.config.ts'), logLevel: 'warn', mode: 'production' });
console.log(`web console built in ${Date.now() - started} ms`);
