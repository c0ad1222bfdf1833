/** One-time codes from the handset inbox (`code`, `code_pattern`) and clearing a project's inbox in one call. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendMessage } from './helpers/messages.js';
import { createProject } from './helpers/projects.js';
import { startTestServer, type TestServer } from './helpers/server.js';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.stop();
});

describe('one-time codes in the handset inbox', () => {
  it('the wait endpoint answers the code of the message it found', async () => {
    await sendMessage(server, { to: '+15557658801', body: 'Your Acme code is 482913. Valid for 10 min. Help: 18005550123' });
    const res = await server.api('/api/simulator/messages/wait?to=%2B15557658801&timeout=5');
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ to: '+15557658801', code: '482913' });
  });

  it('takes a caller pattern, its first group being the code', async () => {
    await sendMessage(server, { to: '+15557658802', body: 'Login token: QX-7Z4 (do not share)' });
    const waited = await server.api(`/api/simulator/messages/wait?to=%2B15557658802&timeout=5&code_pattern=${encodeURIComponent('token: ([A-Z0-9-]+)')}`);
    expect(waited.body.code).toBe('QX-7Z4');
    const listed = await server.api('/api/simulator/messages?to=%2B15557658802');
    // Without a pattern: no run of 4–8 digits in that body.
    expect(listed.body.data[0].code).toBeNull();
  });

  it('refuses a pattern that is not a safe regular expression, in the native error shape', async () => {
    for (const pattern of ['([0-9]', '(\\d+)+$']) {
      const res = await server.api(`/api/simulator/messages?code_pattern=${encodeURIComponent(pattern)}`);
      expect(res.status).toBe(422);
      expect(res.body.errors[0]).toMatchObject({ code: 'invalid_filter', attribute: 'code_pattern' });
    }
  });

  it('stops a pattern that backtracks for ever, which no check of its text catches, within its time budget', async () => {
    // Each took over two minutes on this body, the whole server standing still meanwhile.
    for (const [i, pattern] of ['(a|a)*$', '(a|aa)*b'].entries()) {
      // A project each: a project's patterns share 400 ms of matching at once (code-finder.ts), and
      // four runs cut at 100 ms, each a little over on a loaded machine, spent it (429, not 422).
      const number = `+1555123986${i}`;
      const { auth } = await createProject(server, { name: `Patterns ${i}`, number });
      await sendMessage(server, { from: number, to: '+15557658804', body: `Your code is 123456 ${'a'.repeat(60)}!` }, auth);
      await server.api('/api/simulator/messages/wait?to=%2B15557658804&timeout=5', { auth });
      const started = Date.now();
      for (const path of ['/api/simulator/messages?to=%2B15557658804', '/api/simulator/messages/wait?to=%2B15557658804&timeout=1']) {
        const res = await server.api(`${path}&code_pattern=${encodeURIComponent(pattern)}`, { auth });
        expect(res.status, res.text).toBe(422);
        expect(res.body.errors[0]).toMatchObject({ code: 'invalid_filter', attribute: 'code_pattern', message: expect.stringContaining('backtracks too much') });
      }
      expect(Date.now() - started).toBeLessThan(2_000);
    }
    // An ordinary pattern on the same body still answers (in a project whose time was not spent).
    await sendMessage(server, { to: '+15557658804', body: `Your code is 123456 ${'a'.repeat(60)}!` });
    await server.api('/api/simulator/messages/wait?to=%2B15557658804&timeout=5');
    const ok = await server.api(`/api/simulator/messages?to=%2B15557658804&code_pattern=${encodeURIComponent('code is (\\d+)')}`);
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body.data[0].code).toBe('123456');
  });

  it('clears the project inbox in one call', async () => {
    await sendMessage(server, { to: '+15557658803', body: 'Code 1111' });
    await server.api('/api/simulator/messages/wait?to=%2B15557658803&timeout=5');
    const cleared = await server.api('/api/simulator/messages', { method: 'DELETE' });
    expect(cleared.status).toBe(200);
    expect(cleared.body.deleted).toBeGreaterThanOrEqual(1);
    expect((await server.api('/api/simulator/messages')).body.data).toEqual([]);
  });
});
