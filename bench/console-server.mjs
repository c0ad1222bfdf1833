/**
 * Helper for the console benchmarks: the shared benchmark server (lib/bench-server.mjs) with three
 * numbers, on a data folder the benchmark owns (so it can restart the server on the same data).
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AUTH, startBenchServer } from './lib/bench-server.mjs';

export { PROJECT, TOKEN, sleep } from './lib/bench-server.mjs';
export const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const NUMBERS = ['+15551230001', '+15551230002', '+15551230003'];
export const auth = AUTH;

/** Start a server; resolves with { base, pid, stop(), cpuSeconds(), … } (see startBenchServer). */
export function startServer({ port, dataDir, delayMs = 0 }) {
  return startBenchServer({ port, dataDir, env: { SWITCHBOARD_NUMBERS: NUMBERS.join(','), SWITCHBOARD_SIMULATOR_DELAY_MS: String(delayMs) } });
}
