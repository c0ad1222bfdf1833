import { describe, expect, it } from 'vitest';
import { StartupEvents, type StartupEvent } from './startup-events.js';

const event = (key: string, over: Partial<StartupEvent> = {}): StartupEvent => ({ projectId: 'p', contexts: ['c'], protocols: ['c'], key, at: 0, params: `{"event_type":"messaging.state","k":"${key}"}`, type: 'messaging.state', ...over });

describe('StartupEvents', () => {
  it('finds the events addressed to a protocol or a context of one project, oldest first, less those seen', () => {
    const log = new StartupEvents(1000, 100, 1 << 20, () => 0);
    log.record([event('a'), event('b', { contexts: ['other'], protocols: ['other', 'proto'] }), event('c', { projectId: 'q' }), event('d', { contexts: ['x'], protocols: ['x'] })]);
    expect(log.addressedTo('p', 'proto', ['c'], new Set()).map((e) => e.key)).toEqual(['a', 'b']);
    expect(log.addressedTo('p', 'none', ['x', 'c'], new Set(['a'])).map((e) => e.key)).toEqual(['d']);
    expect(log.addressedTo('q', 'none', ['c'], new Set()).map((e) => e.key)).toEqual(['c']);
  });

  it('keeps the newest within its count and bytes', () => {
    const byCount = new StartupEvents(1000, 3, 1 << 20, () => 0);
    for (let i = 0; i < 2000; i++) byCount.record([event(`k${i}`)]);
    expect(byCount.addressedTo('p', 'c', [], new Set()).map((e) => e.key)).toEqual(['k1997', 'k1998', 'k1999']);
    const size = event('k0').params.length;
    const byBytes = new StartupEvents(1000, 100, size * 2, () => 0);
    byBytes.record([event('k0'), event('k1'), event('k2')]);
    expect(byBytes.addressedTo('p', 'c', [], new Set()).map((e) => e.key)).toEqual(['k1', 'k2']);
  });

  it('keeps and gives nothing once its window has ended', () => {
    let now = 0;
    const log = new StartupEvents(1000, 100, 1 << 20, () => now);
    log.record([event('a')]);
    expect(log.open).toBe(true);
    now = 1001;
    expect(log.open).toBe(false);
    log.record([event('b')]);
    expect(log.addressedTo('p', 'c', ['c'], new Set())).toEqual([]);
  });
});
