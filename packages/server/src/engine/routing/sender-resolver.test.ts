import { describe, expect, it } from 'vitest';
import type { NumberDirectory } from './number-directory.js';
import { OwnedNumberResolver } from './sender-resolver.js';

const noNumbers = { senderOwnedBy: async () => null } as unknown as NumberDirectory;
const query = (from: string) => ({ projectId: 'p', from, numberGroupId: null, to: '+15557654321', kind: 'sms' as const });
const message = async (from: string) => {
  const r = await new OwnedNumberResolver(noNumbers).resolve(query(from));
  return 'errors' in r ? r.errors[0]?.message : null;
};

describe('OwnedNumberResolver', () => {
  // Code written for Twilio's test credentials, run with a live token, was told only that
  // +15005550006 is not the project's, with nothing about test tokens.
  it("says that Twilio's test sender needs a test token", async () => {
    expect(await message('+15005550006')).toBe(
      'From +15005550006 must be a phone number or short code registered with your project. +15005550006 is the sender of test credentials: send from it with a test token, or from one of your numbers with a live one.',
    );
    expect(await message('+15551239999')).toBe('From +15551239999 must be a phone number or short code registered with your project.');
  });
});
