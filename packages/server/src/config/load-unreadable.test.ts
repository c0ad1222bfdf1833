/**
 * A config file the user running switchboard may not read. The tests run as root in CI, where
 * permission bits do not stop reads, so the refusal Node gives another user (EACCES) is stood in for.
 */
import type * as Fs from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { ConfigError, loadSettings } from './load.js';

vi.mock('node:fs', async (original) => {
  const fs = await original<typeof Fs>();
  const readFileSync = (path: unknown, ...rest: unknown[]): unknown => {
    if (path === '/etc/switchboard/switchboard.json') throw Object.assign(new Error(`EACCES: permission denied, open '${path}'`), { code: 'EACCES' });
    return (fs.readFileSync as (...args: unknown[]) => unknown)(path, ...rest);
  };
  return { ...fs, readFileSync, default: { ...fs, readFileSync } };
});

describe('a config file that cannot be read', () => {
  // It said only "Cannot read config file …: EACCES: permission denied, open '…'", with nothing to do about it.
  it('names the file, the cause and what to do', () => {
    const path = '/etc/switchboard/switchboard.json';
    expect(() => loadSettings({ env: {}, configFile: path })).toThrow(ConfigError);
    expect(() => loadSettings({ env: {}, configFile: path })).toThrow(
      `Cannot read config file ${path}: permission denied (EACCES) to the user running switchboard; make the file (and its folders) readable by that user, e.g. chmod a+r ${path}, or run as its owner`,
    );
  });
});
