/**
 * Headless Chromium for the console's end-to-end tests: Debian's `chromium` driven by
 * playwright-core (no browser download). When it is missing the tests skip and say why.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM = process.env.SWITCHBOARD_CHROMIUM ?? '/usr/bin/chromium';

/** Why the browser tests cannot run here, or null when they can. */
export function browserUnavailable(): string | null {
  return existsSync(CHROMIUM) ? null : `console end-to-end tests skipped: no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set SWITCHBOARD_CHROMIUM)`;
}

/** The repository root. */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../..');

/** Build the console unless its build is up to date (fast when it is). */
export function ensureConsoleBuilt(): void {
  execFileSync(process.execPath, [join(ROOT, 'scripts/build-console.mjs')], { stdio: 'inherit' });
}

/** A fresh browser profile; close it with `close()`. */
export async function launchBrowser(): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), 'switchboard-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1280, height: 800 },
    deviceScaleFactor: 1,
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
