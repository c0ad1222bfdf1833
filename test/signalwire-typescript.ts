/**
 * SignalWire's TypeScript port of its SDK for the tests that drive it: not vendored and not on the
 * npm registry, it is found through SIGNALWIRE_TS_SDK (a checkout of
 * github.com/signalwire/signalwire-typescript). Vitest imports its src/rest and src/relay modules
 * straight from the checkout (they need nothing beyond `ws`, which this project has); without the
 * checkout those tests are skipped and say why.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export type TsSetup = { sdk: string } | { missing: string };

const MODULES = { rest: join('src', 'rest', 'index.ts'), relay: join('src', 'relay', 'index.ts') };

/** The port's checkout; or why it cannot be used. */
export function tsSetup(): TsSetup {
  const sdk = process.env.SIGNALWIRE_TS_SDK;
  if (!sdk) return { missing: 'SIGNALWIRE_TS_SDK is not set (a checkout of github.com/signalwire/signalwire-typescript)' };
  for (const file of Object.values(MODULES)) {
    if (!existsSync(join(sdk, file))) return { missing: `SIGNALWIRE_TS_SDK (${sdk}) holds no ${file}` };
  }
  return { sdk };
}

/** The port's REST and RELAY modules (untyped: they are not part of this build). */
export async function loadTsSdk(sdk: string): Promise<{ rest: any; relay: any }> {
  // The port logs every request at info level to stdout; warnings are enough here.
  process.env.SIGNALWIRE_LOG_LEVEL ??= 'warn';
  const [rest, relay] = await Promise.all([import(pathToFileURL(join(sdk, MODULES.rest)).href), import(pathToFileURL(join(sdk, MODULES.relay)).href)]);
  return { rest, relay };
}
