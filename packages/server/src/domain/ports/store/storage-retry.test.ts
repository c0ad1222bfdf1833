/**
 * How a write that storage refused is retried (`storageRetryDelay`): the journal's batches of state
 * changes and SMPP part records. A node
 * stopped while PostgreSQL was silent spent 1–3 s after the silence's 6 s waiting out the backoff
 * of attempts every one of which failed at once (measured 7.2–8.9 s stops instead of about 6 s).
 */
import { describe, expect, it } from 'vitest';
import { storageRetryDelay as retryDelay, StoreSilentAtStopError, StoreUnavailableError } from './errors.js';

const unavailable = new StoreUnavailableError('database unavailable: connection refused');
const silentAtStop = new StoreSilentAtStopError('database unavailable: no answer for 6 s while the node is stopping; stopping without it');

describe('retrying state changes storage refused', () => {
  it('waits and retries without end while the node runs, whatever the unavailability', () => {
    for (const err of [unavailable, silentAtStop]) {
      for (const attempt of [1, 3, 50]) expect(retryDelay(err, attempt, false)).toBeGreaterThan(0);
    }
  });

  it('once stopping, gives an outage a few more attempts, then gives up', () => {
    expect(retryDelay(unavailable, 1, true)).toBeGreaterThan(0);
    expect(retryDelay(unavailable, 2, true)).toBeGreaterThan(0);
    expect(retryDelay(unavailable, 3, true)).toBeNull();
  });

  it('once stopping, gives up at once on a store silent through the stop: every later attempt would fail at once', () => {
    expect(retryDelay(silentAtStop, 1, true)).toBeNull();
  });

  it('never retries an error that is not the storage being unavailable', () => {
    expect(retryDelay(new Error('constraint'), 1, false)).toBeNull();
  });
});
