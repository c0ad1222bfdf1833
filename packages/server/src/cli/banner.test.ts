import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { loadSettings } from '../config/load.js';
import type { SwitchboardHandle } from '../main.js';
import { shellWord, startupBanner } from './banner.js';

describe('shellWord (the paths in the banner\'s commands)', () => {
  it('leaves a plain path as it is and quotes one a shell would split or expand', () => {
    expect(shellWord('./data')).toBe('./data');
    expect(shellWord('/var/lib/switchboard/tls/ca.pem')).toBe('/var/lib/switchboard/tls/ca.pem');
    expect(shellWord('with space/d')).toBe("'with space/d'");
  });

  it.each(['with space/d', "it's here", '$HOME/x', 'a"b', '*', 'a;b'])('a shell reads %j back as that one word', (word) => {
    expect(execFileSync('sh', ['-c', `printf %s ${shellWord(word)}`], { encoding: 'utf8' })).toBe(word);
  });
});

describe('startupBanner', () => {
  const banner = (env: Record<string, string>, numbers = ['+15551230001']) => {
    const settings = loadSettings({ env: { SWITCHBOARD_HTTPS: 'false', ...env }, flags: {} });
    const handle = { url: 'http://127.0.0.1:8080', settings, bootstrap: { project: { id: 'p1', signingKey: 'PSK_x' }, numbers }, smsc: null, httpsUrl: null, caFile: null };
    return startupBanner(handle as unknown as SwitchboardHandle, settings.databaseUrl ? { kind: 'not-shown' } : { kind: 'local', apiToken: 'PTtoken', file: 'data/credentials.json' });
  };

  // It asked for SIGNALWIRE_API_TOKEN alone, and the `send` below it then had no project: "no credentials".
  it('on PostgreSQL, asks for the project ID with the token the send line needs', () => {
    const text = banner({ SWITCHBOARD_DATABASE_URL: 'postgres://u@db/sb' });
    expect(text).toContain('export SIGNALWIRE_PROJECT_ID=p1 SIGNALWIRE_API_TOKEN=<token>\n');
    expect(text).not.toContain('PTtoken');
  });

  it('on the wall clock, suggests a send that waits for delivery', () => {
    const text = banner({});
    expect(text).toContain('--body "Hello from Switchboard" --wait\n');
    expect(text).not.toMatch(/manual/);
  });

  // It suggested `send … --wait` as on the wall clock: that waited its minute and failed, since nothing
  // moves on the manual clock until it is advanced, and the banner did not say the clock was manual.
  it('on the manual clock, says so, sends without --wait and gives the command that moves the clock', () => {
    const text = banner({ SWITCHBOARD_SIMULATOR_CLOCK: 'manual' });
    expect(text).toMatch(/simulator delay 1000 ms, manual clock\n/);
    expect(text).toContain('--body "Hello from Switchboard"\n');
    expect(text).not.toContain('--wait');
    expect(text).toContain(`curl -s -u 'p1:PTtoken' -H 'Content-Type: application/json' -d '{"ms":60000}' http://127.0.0.1:8080/api/simulator/clock/advance`);
  });

  // A project without numbers (a second project on a used data folder: SWITCHBOARD_PROJECT_ID changed)
  // was told `number add +15551230001`: that number is the first project's ("already registered"),
  // and without --project and --data-dir the command went to another project or folder.
  it('for a project without numbers, gives a number add for that project and data folder, naming no number another may hold', () => {
    const text = banner({ SWITCHBOARD_DATA_DIR: 'elsewhere' }, []);
    expect(text).toMatch(/Numbers +\(none; add one with: npx switchboard number add <E\.164 number> --project p1 --data-dir elsewhere\)\n/);
    expect(banner({ SWITCHBOARD_DATABASE_URL: 'postgres://u@db/sb' }, [])).toContain('(none; add one with: npx switchboard number add <E.164 number> --project p1 --database-url …)\n');
    // The send examples name the number to add, not a built-in one that may be another project's.
    expect(text).not.toContain('+15551230001');
    expect(text).toContain('--from <the number you add>');
    expect(text).toContain('"from":"<the number you add>"');
  });
});
