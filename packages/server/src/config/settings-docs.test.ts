import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SETTINGS } from './settings.js';
import { settingsTable, TABLE_END, TABLE_START } from './settings-docs.js';

const doc = readFileSync(new URL('../../../../docs/configuration.md', import.meta.url), 'utf8');

describe('docs/configuration.md', () => {
  it('carries the settings table exactly as the code defines it (run `npm run docs:config` after changing a setting)', () => {
    const table = doc.slice(doc.indexOf(TABLE_START), doc.indexOf(TABLE_END) + TABLE_END.length);
    expect(table).toBe(settingsTable());
  });

  it('names every setting by its environment variable and config-file key', () => {
    for (const s of Object.values(SETTINGS)) {
      expect(doc).toContain(s.env);
      expect(doc).toContain(`\`${s.key}\``);
    }
  });
});
