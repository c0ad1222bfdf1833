/** Reading this process's settings, and the package version (composition only: it reads the environment). */
import { readFileSync } from 'node:fs';
import { loadSettings, type ConfigSources } from '../config/load.js';

/** Resolved settings plus what the loader read from the config file. */
export type ResolvedSettings = ReturnType<typeof loadSettings>;

/** The package version, from its package.json. */
export const VERSION: string = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** Settings from this process's environment and the given flags. */
export function settingsFromEnvironment(flags: Record<string, string | boolean | undefined> = {}, extra: Omit<ConfigSources, 'env' | 'flags'> = {}): ResolvedSettings {
  return loadSettings({ env: process.env, flags, ...extra });
}
