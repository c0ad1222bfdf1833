import { describe, expect, it } from 'vitest';
import { eventKey, keyPrefixOf, laterKeysOf, messageOfKey } from './relay-event-keys.js';

describe('RELAY event keys', () => {
  it('name a message and one of its states, and are read back here', () => {
    const key = eventKey('SM0123', 'sent');
    expect(key).toBe('SM0123:sent');
    expect(messageOfKey(key)).toBe('SM0123');
    expect(key.startsWith(keyPrefixOf('SM0123'))).toBe(true);
    expect(laterKeysOf(key)).toEqual(expect.arrayContaining(['SM0123:delivered', 'SM0123:undelivered']));
    expect(laterKeysOf(key)).not.toContain('SM0123:queued');
  });
});
