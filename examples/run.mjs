// `npm run example <name>`: run one compiled example (the npm script builds first).
import { readdirSync } from 'node:fs';
const name = process.argv[2];
const available = readdirSync(new URL('./dist/', import.meta.url)).filter((f) => f.endsWith('.js')).map((f) => f.slice(0, -3));
if (!name || !available.includes(name)) {
  // A mistyped name is named, rather than answered with the usage alone as if none had been given.
  if (name) console.error(`npm run example: no example named "${name}"; the examples are ${available.join(', ')}`);
  else console.error(`usage: npm run example <name>\nexamples: ${available.join(', ')}`);
  process.exit(2);
}
try {
  await import(`./dist/${name}.js`);
} catch (err) {
  // One line saying what went wrong, not a stack trace; for missing or refused credentials (RELAY
  // -32002) or an unreachable server, where the examples get them from.
  const env = process.env;
  const unset = ['SIGNALWIRE_PROJECT_ID', 'SIGNALWIRE_API_TOKEN'].filter((v) => !env[v]);
  const code = typeof err === 'object' && err !== null ? err.code : undefined;
  const hint =
    unset.length > 0
      ? `: ${unset.join(' and ')} ${unset.length > 1 ? 'are' : 'is'} not set — run the export line \`npm start\` printed, in this shell`
      : code === -32002 || code === -1
        ? ` (SIGNALWIRE_SPACE=${env.SIGNALWIRE_SPACE ?? '127.0.0.1:8080, the default'}): check the export line \`npm start\` printed, and that the server runs`
        : '';
  const message = err instanceof Error ? err.message : String(err);
  console.error(`${name}: ${hint ? message.replace(/\.$/, '') : message}${hint}`);
  process.exit(1);
}
