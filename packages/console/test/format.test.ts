/**
 * The console's display helpers without a browser: relative times and their limits, and the label
 * of a webhook delivery read from its own body (JSON and form-encoded status callbacks).
 */
import { describe, expect, it } from 'vitest';
import { absolute, relative, webhookLabel, when } from '../src/format.js';

const rel = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto', style: 'short' });

describe('relative times', () => {
  const now = Date.parse('2026-12-03T14:00:00.000Z');
  const ago = (ms: number) => new Date(now - ms).toISOString();

  it('says "just now" within 5 seconds either way, then seconds, minutes and hours', () => {
    expect(relative(ago(0), now)).toBe('just now');
    expect(relative(ago(4_000), now)).toBe('just now');
    expect(relative(ago(-3_000), now)).toBe('just now');
    expect(relative(ago(42_000), now)).toBe(rel.format(-42, 'second'));
    expect(relative(ago(5 * 60_000), now)).toBe(rel.format(-5, 'minute'));
    expect(relative(ago(3 * 3_600_000), now)).toBe(rel.format(-3, 'hour'));
    // A retry due later reads forwards.
    expect(relative(ago(-30_000), now)).toBe(rel.format(30, 'second'));
  });

  it('gives the local date and time beyond a day, and the full date, time and zone for a title', () => {
    const old = ago(3 * 86_400_000);
    expect(relative(old, now)).toBe(when(old));
    expect(absolute(old)).toContain('2026');
    expect(absolute(old)).toMatch(/\d{2}:\d{2}:\d{2}/);
  });
});

describe('webhook labels', () => {
  it('names a status callback by the status its body reports', () => {
    expect(webhookLabel({ kind: 'status_callback', content_type: 'application/json', body: JSON.stringify({ id: 'm1', status: 'delivered' }) })).toEqual({ kind: 'Status callback', reports: 'delivered' });
    expect(webhookLabel({ kind: 'status_callback', content_type: 'application/x-www-form-urlencoded', body: 'MessageSid=SM1&MessageStatus=undelivered&ErrorCode=30003' })).toEqual({ kind: 'Status callback', reports: 'undelivered' });
    expect(webhookLabel({ kind: 'status_callback', content_type: null, body: 'SmsSid=SM1&SmsStatus=sent' })).toEqual({ kind: 'Status callback', reports: 'sent' });
  });

  it('names other webhooks by kind, and survives a body it cannot read', () => {
    expect(webhookLabel({ kind: 'inbound_message', content_type: 'application/x-www-form-urlencoded', body: 'Body=hi' })).toEqual({ kind: 'Inbound message webhook', reports: null });
    expect(webhookLabel({ kind: 'message_action', content_type: null, body: '' })).toEqual({ kind: 'cXML request', reports: null });
    expect(webhookLabel({ kind: 'status_callback', content_type: 'application/json', body: '{not json' })).toEqual({ kind: 'Status callback', reports: null });
  });
});
