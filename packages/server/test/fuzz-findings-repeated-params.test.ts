/**
 * Found by a black-box fuzz campaign: a query parameter given twice is refused on every list
 * ("status must be given once."), but the paging parameters, the date filters and every console
 * filter said something else about two good values: `page_size=5&page_size=6` was "The page size
 * must be a whole number from 1 to 1000.", `created_after` given twice "must be a date…",
 * `PageSize=5&PageSize=6` "must be a whole number of 1 or more… (got ["5","6"])", the console's
 * `q` twice "must be text of at most 200 characters". Each now says it must be given once, with
 * its own error code, in its surface's shape.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ID, startTestServer, type TestServer } from './helpers/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.stop());

/** The first error's message of a native answer, in either of its shapes. */
const nativeMessage = (body: { errors: { message?: string; detail?: string }[] }) => body.errors[0]!.message ?? body.errors[0]!.detail;

describe('a paging parameter or filter given twice', () => {
  it('is refused as given twice on the native lists, with its own code', async () => {
    for (const [path, name, value, code] of [
      ['/api/messaging/logs', 'page_size', '5', 'invalid_page_size'],
      ['/api/messaging/logs', 'page_number', '0', 'invalid_page_number'],
      ['/api/messaging/logs', 'page_token', 'PAx', 'page_token_is_invalid'],
      ['/api/messaging/logs', 'created_after', '2026-01-01', 'datetime_required'],
      ['/api/relay/rest/phone_numbers', 'page_size', '5', 'invalid_page_size'],
      ['/api/relay/rest/number_groups', 'page_token', 'PAx', 'page_token_is_invalid'],
      ['/api/simulator/messages', 'limit', '5', 'invalid_filter'],
    ] as const) {
      const res = await server.api(`${path}?${name}=${value}&${name}=${value}`);
      expect(res.status, `${path} ${name}: ${res.text}`).toBe(422);
      expect(res.body.errors[0].code, `${path} ${name}`).toBe(code);
      expect(nativeMessage(res.body), `${path} ${name}`).toBe(`${name} must be given once.`);
    }
  });

  it('is refused as given twice on the console API', async () => {
    for (const [path, name, value] of [
      ['/api/console/messages', 'limit', '5'],
      ['/api/console/messages', 'q', 'a'],
      ['/api/console/messages', 'status', 'sent'],
      ['/api/console/messages', 'since', '2026-01-01'],
      ['/api/console/conversations', 'limit', '5'],
      ['/api/console/outbox', 'limit', '5'],
    ] as const) {
      const res = await server.api(`${path}?${name}=${value}&${name}=${value}`);
      expect(res.status, `${path} ${name}: ${res.text}`).toBe(422);
      expect(res.body.errors[0]).toMatchObject({ code: 'invalid_filter', attribute: name, message: `${name} must be given once.` });
    }
  });

  it("is refused as given twice on the Compatibility API, in Twilio's shape with its own code", async () => {
    for (const [name, value, code] of [
      ['PageSize', '5', 54454],
      ['Page', '0', 10000],
      ['PageToken', 'PAx', 21481],
      ['DateSent', '2026-01-01', 10000],
      ['DateSent>', '2026-01-01', 10000],
    ] as const) {
      const res = await server.api(`/2010-04-01/Accounts/${PROJECT_ID}/Messages.json?${name}=${value}&${name}=${value}`);
      expect(res.status, `${name}: ${res.text}`).toBe(400);
      expect(res.body, name).toMatchObject({ code, status: 400, message: `${name} must be given once.` });
    }
  });

  it('given once, each is read as before', async () => {
    expect((await server.api('/api/messaging/logs?page_size=5&created_after=2026-01-01')).status).toBe(200);
    expect((await server.api('/api/console/messages?limit=5&q=a&status=sent')).status).toBe(200);
    expect((await server.api(`/2010-04-01/Accounts/${PROJECT_ID}/Messages.json?PageSize=5&DateSent>=2026-01-01`)).status).toBe(200);
  });
});
