/**
 * Found by a second black-box fuzz pass: on the Compatibility API a number sent in a form body
 * with its `+` as is (`curl -d To=+1555…`, `-d PhoneNumber=+1555…`) arrives as " 1555…", since a
 * form body reads `+` as a space, and was refused (21211, 21212, 21421) quoting the number with its
 * space and no word why, where the list filters say to write `%2B`. The errors now say so; the
 * escaped number is taken as before.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NUMBERS, PROJECT_ID, startTestServer, type TestServer } from './helpers/server.js';

let server: TestServer;
const account = `/api/laml/2010-04-01/Accounts/${PROJECT_ID}`;
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
/** A form body written as `curl -d` sends it: each `+` left as is. */
const post = (path: string, body: string) => server.api(`${account}${path}`, { body, headers: FORM });
const HINT = expect.stringContaining('A "+" sent as is in a form body or a URL reads as a space: write it %2B');

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.stop());

describe('a number whose + was sent as is in a Compatibility API form body', () => {
  it("as a message's To or From is refused with 21211 / 21212 saying to write %2B; escaped, the message is sent", async () => {
    const to = await post('/Messages.json', `To=+15557650001&From=${encodeURIComponent(NUMBERS[0]!)}&Body=hi`);
    expect(to.status, to.text).toBe(400);
    expect(to.body).toMatchObject({ code: 21211, message: HINT });
    const from = await post('/Messages.json', `To=%2B15557650001&From=${NUMBERS[0]}&Body=hi`);
    expect(from.status, from.text).toBe(400);
    expect(from.body).toMatchObject({ code: 21212, message: HINT });
    const escaped = await post('/Messages.json', `To=%2B15557650001&From=${encodeURIComponent(NUMBERS[0]!)}&Body=hi`);
    expect(escaped.status, escaped.text).toBe(201);
  });

  it('as the PhoneNumber of IncomingPhoneNumbers (and its Local list) is refused with 21421 saying to write %2B; escaped, it is registered', async () => {
    for (const path of ['/IncomingPhoneNumbers.json', '/IncomingPhoneNumbers/Local.json']) {
      const raw = await post(path, 'PhoneNumber=+15551239906');
      expect(raw.status, raw.text).toBe(400);
      expect(raw.body).toMatchObject({ code: 21421, message: HINT });
    }
    const escaped = await post('/IncomingPhoneNumbers.json', 'PhoneNumber=%2B15551239906');
    expect(escaped.status, escaped.text).toBe(201);
    expect(escaped.body.phone_number).toBe('+15551239906');
  });

  it('leaves the errors of other malformed numbers as they were', async () => {
    const res = await post('/Messages.json', `To=555-0100&From=${encodeURIComponent(NUMBERS[0]!)}&Body=hi`);
    expect(res.status, res.text).toBe(400);
    expect(res.body.code).toBe(21211);
    expect(res.body.message).not.toContain('%2B');
  });
});
