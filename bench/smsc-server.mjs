// The simulator's SMSC on its own, in its own process (for benchmarks and interop):
//   node bench/smsc-server.mjs PORT [delayMs]
// Prints "ready PORT" once listening; stops on SIGTERM. Needs a build (npx tsc -b).
import { SimulatorSmsc } from '../packages/server/dist/carriers/simulator/smsc/smsc-server.js';

const port = Number(process.argv[2] ?? 2775);
const delayMs = Number(process.argv[3] ?? 0);
const quiet = { info() {}, warn() {}, error: (o, m) => console.error(m, o) };
const smsc = new SimulatorSmsc(
  { host: '127.0.0.1', port, systemId: 'switchboard', password: 'secret', maxBinds: 16, submitIdFormat: 'decimal', receiptIdFormat: 'decimal' },
  { rules: { getSettings: () => ({ delayMs, delayedReceiptMs: 1000, rules: [] }) }, logger: quiet, now: Date.now },
);
await smsc.start();
console.log(`ready ${smsc.port}`);
process.on('SIGTERM', async () => {
  await smsc.stop();
  process.exit(0);
});
