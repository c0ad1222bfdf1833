/**
 * Credentials in a webhook URL (`https://user:password@host/path`): Twilio's way of asking for HTTP
 * Basic authentication on status callbacks and cXML fetches (twilio.com/docs/usage/security, "HTTP
 * authentication"). They are taken out of the URL: the request goes to the URL without them, with
 * an `Authorization: Basic` header; the signature covers the URL without them (what the receiver
 * sees, and what the official validators rebuild from the request); and nothing logged or recorded
 * (attempts, failure logs) carries the password.
 */
import { splitUserinfo } from '../domain/urls.js';

/** The URL without credentials, and the `Authorization` header they ask for (null: none given). */
export function splitCredentials(url: string): { url: string; authorization: string | null } {
  const parts = splitUserinfo(url);
  if (!parts) return { url, authorization: null };
  if (parts.user === '' && parts.password === '') return { url: parts.url, authorization: null };
  return { url: parts.url, authorization: `Basic ${Buffer.from(`${parts.user}:${parts.password}`, 'utf8').toString('base64')}` };
}
