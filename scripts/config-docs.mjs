#!/usr/bin/env node
// Rewrite the settings table of docs/configuration.md from the code's settings table (build first).
import { readFileSync, writeFileSync } from 'node:fs';
import { withSettingsTable } from '../packages/server/dist/config/settings-docs.js';

const file = new URL('../docs/configuration.md', import.meta.url);
writeFileSync(file, withSettingsTable(readFileSync(file, 'utf8')));
console.log('docs/configuration.md: settings table updated');
