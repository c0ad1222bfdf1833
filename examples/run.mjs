// `npm run example <name>`: run one compiled example (the npm script builds first).
import { readdirSync } from 'node:fs';
const name = process.argv[2];
const available = readdirSync(new URL('./dist/', import.meta.url)).filter((f) => f.endsWith('.js')).map((f) => f.slice(0, -3));
if (!name || !available.includes(name)) {
  console.error(`usage: npm run example <name>\nexamples: ${available.join(', ')}`);
  process.exit(2);
}
await import(`./dist/${name}.js`);
