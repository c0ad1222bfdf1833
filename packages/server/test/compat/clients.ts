/**
 * The official clients pointed at a test server, only by host and credentials:
 * - `twilio`: construct with a dummy `AC…` sid (it insists), then set the account sid and user
 *   name to the project id and the API domain's base URL to the server (rest-apis §D.3);
 * - `@signalwire/compatibility-api`: `RestClient(project, token, { signalwireSpaceUrl: host:port })`,
 *   HTTPS only, trusting the test CA through NODE_EXTRA_CA_CERTS (test/global-setup.ts).
 */
import { RestClient } from '@signalwire/compatibility-api';
import twilio from 'twilio';
import { API_TOKEN, PROJECT_ID } from '../helpers/server.js';

/** The `twilio` client for the test project, with its live token or another (a test token). */
export function twilioClient(baseUrl: string, opts: twilio.ClientOpts = {}, token: string = API_TOKEN): twilio.Twilio {
  const client = twilio(`AC${'0'.repeat(32)}`, token, opts);
  client.accountSid = PROJECT_ID;
  (client as unknown as { username: string }).username = PROJECT_ID;
  client.api.baseUrl = baseUrl;
  return client;
}

export function signalwireClient(httpsUrl: string): any {
  return RestClient(PROJECT_ID, API_TOKEN, { signalwireSpaceUrl: httpsUrl.replace(/^https:\/\//, '') });
}

/** Catch the error a client call rejects with. */
export async function rejection(p: Promise<unknown>): Promise<any> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to fail');
}
