/**
 * Found by a black-box fuzz campaign: a path ending in a slash where an id belongs
 * (`GET /api/messaging/logs/`, `DELETE /api/relay/rest/phone_numbers/`) reached the route of one
 * record with an empty id, and was answered "Message  was not found." (a blank where the id goes);
 * `GET /2010-04-01/Accounts/` was a 401 saying "The AccountSid  in the URL is not the project you
 * authenticated as". No route serves such a path: it is now answered as any path no route serves,
 * 404 in its surface's shape naming the path.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ID, startTestServer, type TestServer } from './helpers/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.stop());

describe('a path with an empty id (a trailing slash)', () => {
  it('is 404 "No route" on the native and console routes, whatever the method', async () => {
    for (const [method, path] of [
      ['GET', '/api/messaging/logs/'],
      ['GET', '/api/relay/rest/phone_numbers/'],
      ['PUT', '/api/relay/rest/phone_numbers/'],
      ['DELETE', '/api/relay/rest/phone_numbers/'],
      ['GET', '/api/relay/rest/number_groups/'],
      ['GET', '/api/relay/rest/number_groups//number_group_memberships'],
      ['GET', '/api/relay/rest/short_codes/'],
      ['GET', '/api/messaging/opt_outs/'],
      ['GET', '/api/console/messages/'],
    ] as const) {
      const res = await server.api(path, { method, ...(method === 'PUT' ? { body: { name: 'x' } } : {}) });
      expect(res.status, `${method} ${path}: ${res.text}`).toBe(404);
      expect(res.body, `${method} ${path}`).toEqual({ error: 'Not Found', message: `No route ${method} ${path}` });
    }
  });

  it('is 404, 20404 on the Compatibility API, an empty AccountSid included', async () => {
    for (const path of ['/2010-04-01/Accounts/', '/api/laml/2010-04-01/Accounts//Messages.json', `/api/laml/2010-04-01/Accounts/${PROJECT_ID}/Messages/.json`, `/api/laml/2010-04-01/Accounts/${PROJECT_ID}/Messages/`]) {
      const res = await server.api(path);
      expect(res.status, `${path}: ${res.text}`).toBe(404);
      expect(res.body, path).toMatchObject({ code: 20404, status: 404, message: `The requested resource ${path} was not found` });
    }
  });

  it('leaves the lists and the records served as before', async () => {
    expect((await server.api('/api/messaging/logs')).status).toBe(200);
    expect((await server.api(`/api/laml/2010-04-01/Accounts/${PROJECT_ID}/Messages`)).status).toBe(200);
    expect((await server.api('/console/')).status).toBe(200);
  });
});
