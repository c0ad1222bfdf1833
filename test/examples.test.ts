/**
 * Every example in examples/ (the TypeScript twins of the seed documents) runs as its own process
 * against a live server, the way a user runs it with `npm run example <name>`.
 */
import { execFile, execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_TOKEN, PROJECT_ID, startTestServer, type TestServer } from '../packages/server/test/helpers/server.js';

const root = fileURLToPath(new URL('..', import.meta.url));
let server: TestServer;

beforeAll(async () => {
  // The examples run compiled, as users run them; build them (incremental, quick when up to date).
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-b', 'examples'], { cwd: root, stdio: 'pipe' });
  // A little simulator delay, as with `npm start`: listeners registered after a send still see the later states.
  server = await startTestServer({ simulatorDelayMs: 150 });
}, 120_000);
afterAll(async () => {
  await server.stop();
});

function run(name: string, env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['examples/run.mjs', name],
      {
        cwd: root,
        timeout: 30_000,
        env: { PATH: process.env.PATH ?? '', SIGNALWIRE_PROJECT_ID: PROJECT_ID, SIGNALWIRE_API_TOKEN: API_TOKEN, SIGNALWIRE_SPACE: `127.0.0.1:${server.port}`, ...env },
      },
      (error, stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, out: stdout, err: stderr }),
    );
  });
}

describe('examples', () => {
  it('send-sms prints the message id and the final state', async () => {
    const r = await run('send-sms');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^Message ID: [0-9a-f-]{36}\nFinal state: delivered\n$/);
  });

  it('send-mms sends a message with media', async () => {
    const r = await run('send-mms');
    expect(r.code).toBe(0);
    // The state printed is whatever the message reached when the answer was read (usually queued).
    expect(r.out).toMatch(/^Message ID: [0-9a-f-]{36} \(1 media, state (queued|initiated|sent)\)\n$/);
    const id = /Message ID: (\S+)/.exec(r.out)![1]!;
    expect(await server.store.messages.get(PROJECT_ID, id)).toMatchObject({ kind: 'mms', media: ['https://example.com/photo.jpg'] });
  });

  it('completion-callback prints from its onCompleted callback', async () => {
    const r = await run('completion-callback');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^Message delivered: \{.*"message_state":"delivered".*\}\n$/);
  });

  it('listen-state-changes prints each state up to delivered', async () => {
    const r = await run('listen-state-changes');
    expect(r.code).toBe(0);
    const states = r.out.trim().split('\n').map((l) => /-> (\w+)$/.exec(l)?.[1]);
    expect(states.at(-1)).toBe('delivered');
    expect(states).toEqual(expect.arrayContaining(['sent', 'delivered']));
  });

  it('wait-with-timeout reports delivery, failure with its reason, and a timeout', async () => {
    expect((await run('wait-with-timeout')).out).toBe('Message delivered successfully\n');
    expect((await run('wait-with-timeout', { TO_NUMBER: '+12015550101' })).out).toBe('Message failed: unreachable_destination_handset\n');
    expect((await run('wait-with-timeout', { TO_NUMBER: '+12015550107', WAIT_SECONDS: '0.5' })).out).toBe('Timed out waiting for delivery confirmation\n');
  });

  // They ended in a stack trace of the SDK: a developer who had not run the export line saw 10 lines of it.
  it('the runner reports a failure in one line, with where the credentials come from', async () => {
    const unset = await run('send-sms', { SIGNALWIRE_PROJECT_ID: '', SIGNALWIRE_API_TOKEN: '' });
    expect(unset.code).toBe(1);
    expect(unset.err).toBe(
      'send-sms: project and token are required: pass them as options or set SIGNALWIRE_PROJECT_ID and SIGNALWIRE_API_TOKEN: SIGNALWIRE_PROJECT_ID and SIGNALWIRE_API_TOKEN are not set — run the export line `npm start` printed, in this shell\n',
    );
    const refused = await run('send-sms', { SIGNALWIRE_API_TOKEN: 'not-the-token' });
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/^send-sms: .*Authentication failed.* \(SIGNALWIRE_SPACE=127\.0\.0\.1:\d+\): check the export line `npm start` printed, and that the server runs\n$/);
  });

  it('the runner lists the examples when given no name', async () => {
    const r = await run('');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/send-sms/);
  });

  // `npm run example send_sms` printed the same usage as no name at all, without saying the name was unknown.
  it('the runner names an example it does not have', async () => {
    const r = await run('send_sms');
    expect(r.code).toBe(2);
    expect(r.err).toBe('npm run example: no example named "send_sms"; the examples are completion-callback, listen-state-changes, send-mms, send-sms, wait-with-timeout\n');
  });
});
