/**
 * The layering rules of `.dependency-cruiser.mjs` (run by `npm run lint`) bite: a small tree laid
 * out like this repository, written to a temporary folder, is cruised with the real config through
 * the real command line. The clean tree uses every allowed kind of import and must pass; each
 * file added afterwards breaks one rule and must be reported under that rule, once. Nothing here
 * reads packages/*\/src, so the test does not depend on the state of the sources.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const config = join(repo, '.dependency-cruiser.mjs');
const depcruise = join(repo, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');

const S = 'packages/server/src';

/** A tree where every import is allowed (including the exemptions the rules make). */
const clean: Record<string, string> = {
  // npm packages: one per package that declares it, plus one nobody declares
  'node_modules/kysely/package.json': pkg('kysely'),
  'node_modules/kysely/index.js': 'export const k = 1;\n',
  'node_modules/ws/package.json': pkg('ws'),
  'node_modules/ws/index.js': 'export const w = 1;\n',
  'node_modules/preact/package.json': pkg('preact'),
  'node_modules/preact/index.js': 'export const h = 1;\n',
  'node_modules/undeclared/package.json': pkg('undeclared'),
  'node_modules/undeclared/index.js': 'export const u = 1;\n',

  'packages/protocol/package.json': JSON.stringify({
    name: '@switchboard/protocol', type: 'module',
    exports: { '.': { source: './src/index.ts', default: './dist/index.js' } },
  }),
  'packages/protocol/src/index.ts': "export * from './status.js';\n",
  'packages/protocol/src/status.ts': "export type Status = 'queued';\n",
  'packages/protocol/src/status.test.ts': "import 'node:fs';\nimport './status.js';\n",

  'packages/sdk/package.json': JSON.stringify({ name: '@switchboard/sdk', type: 'module', dependencies: { '@switchboard/protocol': '0.1.0', ws: '*' } }),
  'packages/sdk/src/index.ts': "import type { Status } from '@switchboard/protocol';\nimport { EventEmitter } from 'node:events';\nimport { w } from 'ws';\nexport type S = Status;\nexport const e = [EventEmitter, w];\n",

  'packages/console/package.json': JSON.stringify({ name: '@switchboard/console', type: 'module', dependencies: { '@switchboard/protocol': '0.1.0', preact: '*' } }),
  'packages/console/src/main.tsx': "import type { Status } from '@switchboard/protocol';\nimport { h } from 'preact';\nimport { f } from './format.js';\nexport type S = Status;\nexport const x = [h, f];\n",
  'packages/console/src/format.ts': 'export const f = 1;\n',

  'packages/server/package.json': JSON.stringify({ name: '@switchboard/server', type: 'module', dependencies: { '@switchboard/protocol': '0.1.0', kysely: '*' } }),
  [`${S}/domain/message.ts`]: "import type { Status } from '@switchboard/protocol';\nexport interface Message { status: Status }\n",
  [`${S}/domain/ports/store.ts`]: "import type { Message } from '../message.js';\nexport interface Store { get(): Message }\n",
  [`${S}/domain/message.test.ts`]: "import 'node:crypto';\nimport './message.js';\n",
  [`${S}/util/batcher.ts`]: "import type { Message } from '../domain/message.js';\nexport type Batch = Message[];\n",
  [`${S}/engine/routing/router.ts`]: "import type { Message } from '../../domain/message.js';\nexport const route = (m: Message) => m;\n",
  [`${S}/engine/messages/journal.ts`]: "import type { Store } from '../../domain/ports/store.js';\nimport type { Batch } from '../../util/batcher.js';\nimport { route } from '../routing/router.js';\nexport const journal = (s: Store, b: Batch) => [s, b, route];\n",
  // tests may reach anything (layering); only cycles and resolution apply to them
  [`${S}/engine/messages/journal.test.ts`]: "import '../../store/kysely-store.js';\nimport '../../http/app.js';\n",
  [`${S}/store/kysely-store.ts`]: "import { k } from 'kysely';\nimport { readFileSync } from 'node:fs';\nimport type { Store } from '../domain/ports/store.js';\nimport { journal } from '../engine/messages/journal.js';\nimport { open } from './dialects/sqlite.js';\nexport const store = [k, readFileSync, journal, open] as unknown as Store;\n",
  [`${S}/store/dialects/sqlite.ts`]: 'export const open = 1;\n',
  [`${S}/bus/in-process-bus.ts`]: "import type { Message } from '../domain/message.js';\nexport const bus = (m: Message) => m;\n",
  // the recorded exception of docs/architecture.md: the simulator's SMSC uses the SMPP codec
  [`${S}/carriers/smpp/codec.ts`]: 'export const codec = 1;\n',
  [`${S}/carriers/simulator/smsc.ts`]: "import { codec } from '../smpp/codec.js';\nexport const smsc = codec;\n",
  [`${S}/webhooks/signing.ts`]: 'export const sign = 1;\n',
  [`${S}/webhooks/cxml/executor.ts`]: "import type { Store } from '../../domain/ports/store.js';\nimport { journal } from '../../engine/messages/journal.js';\nimport { sign } from '../signing.js';\nexport const execute = (s: Store) => [s, journal, sign];\n",
  [`${S}/http/app.ts`]: "import { createServer } from 'node:http';\nimport type { Store } from '../domain/ports/store.js';\nimport { journal } from '../engine/messages/journal.js';\nimport { f } from './native/routes.js';\nexport const app = (s: Store) => [createServer, journal, f, s];\n",
  [`${S}/http/native/routes.ts`]: 'export const f = 1;\n',
  [`${S}/relay/session.ts`]: "import { journal } from '../engine/messages/journal.js';\nexport const session = journal;\n",
  [`${S}/config/settings.ts`]: "import { readFileSync } from 'node:fs';\nimport type { Message } from '../domain/message.js';\nimport type { Batch } from '../util/batcher.js';\nexport const settings = (m: Message, b: Batch) => [readFileSync, m, b];\n",
  [`${S}/main.ts`]: [
    'store/kysely-store', 'bus/in-process-bus', 'carriers/simulator/smsc', 'webhooks/cxml/executor',
    'http/app', 'relay/session', 'config/settings',
  ].map((p) => `import './${p}.js';\n`).join(''),
  [`${S}/cli/main.ts`]: "import '../main.js';\n",
  [`${S}/composition/adapters.ts`]: "import '../store/kysely-store.js';\nimport '../bus/in-process-bus.js';\nimport '../config/settings.js';\n",
  'packages/server/test/helpers.ts': "import '../src/main.js';\nimport 'undeclared';\n",
};

/** Files that each break rules; the reports they must cause, as `rule: from → to` (a cycle is
 * reported once, at its first edge). */
const violations: Record<string, string> = {
  'packages/protocol/src/bad.ts': "import 'node:fs';\n",
  'packages/protocol/src/bad-sdk.ts': "import '../../sdk/src/index.js';\n",
  'packages/sdk/src/bad-server.ts': "import '../../server/src/domain/message.js';\n",
  'packages/sdk/src/bad-npm.ts': "import 'undeclared';\n",
  'packages/console/src/bad.ts': "import 'node:fs';\n",
  // node:crypto is the domain's one written exception; node:fs is not
  [`${S}/domain/bad.ts`]: "import 'node:crypto';\nimport 'node:fs';\nimport 'kysely';\nimport '../engine/messages/journal.js';\n",
  [`${S}/engine/bad.ts`]: "import '../store/kysely-store.js';\nimport '../config/settings.js';\nimport 'node:fs';\n",
  [`${S}/util/bad.ts`]: "import '../engine/routing/router.js';\n",
  [`${S}/config/bad.ts`]: "import '../engine/routing/router.js';\n",
  [`${S}/http/bad.ts`]: "import '../carriers/simulator/smsc.js';\nimport '../webhooks/signing.js';\nimport '../store/kysely-store.js';\n",
  [`${S}/relay/bad.ts`]: "import '../store/dialects/sqlite.js';\nimport '../http/app.js';\n",
  [`${S}/webhooks/cxml/bad.ts`]: "import '../../store/kysely-store.js';\nimport '../../http/app.js';\n",
  [`${S}/webhooks/bad.ts`]: "import '../store/kysely-store.js';\n",
  [`${S}/bus/bad.ts`]: "import type { Store } from '../store/kysely-store.js';\nexport type S = Store;\n",
  [`${S}/carriers/bad.ts`]: "import '../config/settings.js';\nimport '../main.js';\nimport '../composition/adapters.js';\n",
  [`${S}/store/bad.ts`]: "import '../bus/in-process-bus.js';\n",
  [`${S}/http/bad-test-import.ts`]: "import '../../test/helpers.js';\n",
  [`${S}/cli/bad.ts`]: "import '../../../sdk/src/index.js';\nimport './missing.js';\n",
  // a cycle made only of type imports still counts
  [`${S}/engine/routing/a.ts`]: "import type { B } from './b.js';\nexport type A = B[];\n",
  [`${S}/engine/routing/b.ts`]: "import type { A } from './a.js';\nexport type B = A | string;\n",
  // tests are not exempt from the cycle rule
  'packages/server/test/c.ts': "import './d.js';\n",
  'packages/server/test/d.ts': "import './c.js';\n",
};

const expected = [
  'protocol-imports-only-itself: packages/protocol/src/bad.ts → fs',
  'protocol-imports-only-itself: packages/protocol/src/bad-sdk.ts → packages/sdk/src/index.ts',
  'sdk-imports-only-protocol: packages/sdk/src/bad-server.ts → packages/server/src/domain/message.ts',
  'src-only-declared-npm-dependencies: packages/sdk/src/bad-npm.ts → node_modules/undeclared/index.js',
  'console-imports-only-protocol: packages/console/src/bad.ts → fs',
  `domain-imports-only-domain-and-protocol: ${S}/domain/bad.ts → fs`,
  `domain-imports-only-domain-and-protocol: ${S}/domain/bad.ts → node_modules/kysely/index.js`,
  `domain-imports-only-domain-and-protocol: ${S}/domain/bad.ts → ${S}/engine/messages/journal.ts`,
  `engine-imports-only-engine-domain-util-protocol: ${S}/engine/bad.ts → ${S}/store/kysely-store.ts`,
  `engine-imports-only-engine-domain-util-protocol: ${S}/engine/bad.ts → ${S}/config/settings.ts`,
  `engine-imports-only-engine-domain-util-protocol: ${S}/engine/bad.ts → fs`,
  `util-imports-only-util-domain-protocol: ${S}/util/bad.ts → ${S}/engine/routing/router.ts`,
  `config-imports-only-domain-util-protocol: ${S}/config/bad.ts → ${S}/engine/routing/router.ts`,
  `adapters-not-to-other-adapters: ${S}/http/bad.ts → ${S}/carriers/simulator/smsc.ts`,
  `adapters-not-to-other-adapters: ${S}/http/bad.ts → ${S}/webhooks/signing.ts`,
  `surfaces-reach-storage-through-engine: ${S}/http/bad.ts → ${S}/store/kysely-store.ts`,
  `surfaces-reach-storage-through-engine: ${S}/relay/bad.ts → ${S}/store/dialects/sqlite.ts`,
  `adapters-not-to-other-adapters: ${S}/relay/bad.ts → ${S}/http/app.ts`,
  `surfaces-reach-storage-through-engine: ${S}/webhooks/cxml/bad.ts → ${S}/store/kysely-store.ts`,
  `adapters-not-to-other-adapters: ${S}/webhooks/cxml/bad.ts → ${S}/http/app.ts`,
  `adapters-not-to-store: ${S}/webhooks/bad.ts → ${S}/store/kysely-store.ts`,
  `adapters-not-to-store: ${S}/bus/bad.ts → ${S}/store/kysely-store.ts`,
  `adapters-not-to-composition: ${S}/carriers/bad.ts → ${S}/config/settings.ts`,
  `adapters-not-to-composition: ${S}/carriers/bad.ts → ${S}/main.ts`,
  `adapters-not-to-composition: ${S}/carriers/bad.ts → ${S}/composition/adapters.ts`,
  `adapters-not-to-other-adapters: ${S}/store/bad.ts → ${S}/bus/in-process-bus.ts`,
  `src-not-to-tests: ${S}/http/bad-test-import.ts → packages/server/test/helpers.ts`,
  `server-imports-no-sdk-or-console: ${S}/cli/bad.ts → packages/sdk/src/index.ts`,
  `not-to-unresolvable: ${S}/cli/bad.ts → ./missing.js`,
  `no-circular: ${S}/engine/routing/a.ts → ${S}/engine/routing/b.ts`,
  'no-circular: packages/server/test/c.ts → packages/server/test/d.ts',
];

function pkg(name: string): string {
  return JSON.stringify({ name, version: '1.0.0', type: 'module', main: 'index.js' });
}

function write(root: string, files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
}

interface Violation { rule: { name: string }; from: string; to: string }

/** Cruises `root` as `npm run lint` does and returns the violations as `rule: from → to`. */
async function cruise(root: string): Promise<string[]> {
  const run = promisify(execFile);
  let stdout: string;
  try {
    ({ stdout } = await run(process.execPath, [depcruise, 'packages', '--config', config, '--output-type', 'json'], { cwd: root, maxBuffer: 64 << 20 }));
  } catch (err) {
    // depcruise exits with the number of errors; the report is on stdout all the same
    stdout = (err as { stdout?: string }).stdout ?? '';
    if (!stdout) throw err;
  }
  const { summary } = JSON.parse(stdout) as { summary: { violations: Violation[] } };
  return summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`).sort();
}

describe('layering rules (.dependency-cruiser.mjs)', () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'switchboard-layering-'));
    write(root, clean);
    mkdirSync(join(root, 'node_modules/@switchboard'), { recursive: true });
    symlinkSync('../../packages/protocol', join(root, 'node_modules/@switchboard/protocol'), 'dir');
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('pass a tree that imports only what the layering allows', async () => {
    expect(await cruise(root)).toEqual([]);
  });

  it('report each broken rule once, as rule: from → to', async () => {
    write(root, violations);
    expect(await cruise(root)).toEqual([...expected].sort());
  });
});
