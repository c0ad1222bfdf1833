import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SETTINGS } from '../src/config/settings.js';

describe('docs/configuration.md', () => {
  it('lists every setting with its config key and environment variable', () => {
    const doc = readFileSync(new URL('../../../docs/configuration.md', import.meta.url), 'utf8');
    const missing = Object.values(SETTINGS).filter((s) => !doc.includes(`\`${s.key}\``) || !doc.includes(`\`${s.env}\``));
    expect(missing.map((s) => s.env)).toEqual([]);
  });
});
