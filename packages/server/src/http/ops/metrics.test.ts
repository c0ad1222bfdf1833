import { afterEach, describe, expect, it, vi } from 'vitest';
import { StoreUnavailableError } from '../../domain/ports/store.js';
import { PrometheusMetrics } from './metrics.js';

/** The value of an unlabelled sample in a scrape. */
function sample(text: string, name: string): string | undefined {
  return new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1];
}

describe('PrometheusMetrics while the database cannot answer', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('answers every other metric and the queue depths last read when the read fails', async () => {
    const metrics = new PrometheusMetrics();
    let backlog: () => Promise<{ dispatch: number; webhooks: number }> = async () => ({ dispatch: 3, webhooks: 4 });
    metrics.watchBacklog(() => backlog());
    metrics.webhookOutcome('status', 'retry');
    const before = await metrics.registry.metrics();
    expect(sample(before, 'switchboard_dispatch_queue_depth')).toBe('3');

    backlog = () => Promise.reject(new StoreUnavailableError('database unavailable: connect ECONNREFUSED'));
    const during = await metrics.registry.metrics();
    expect(sample(during, 'switchboard_dispatch_queue_depth')).toBe('3');
    expect(sample(during, 'switchboard_webhooks_pending')).toBe('4');
    expect(during).toMatch(/^switchboard_webhook_deliveries_total\{kind="status",outcome="retry"\} 1$/m);
    expect(during).toMatch(/^process_cpu_seconds_total /m);

    backlog = async () => ({ dispatch: 0, webhooks: 1 });
    expect(sample(await metrics.registry.metrics(), 'switchboard_webhooks_pending')).toBe('1');
  });

  it('does not wait for a read that never answers (a silent server) past its bound', async () => {
    const metrics = new PrometheusMetrics();
    metrics.watchBacklog(async () => ({ dispatch: 7, webhooks: 8 }));
    await metrics.registry.metrics();
    let reads = 0;
    metrics.watchBacklog(() => {
      reads++;
      return new Promise(() => undefined);
    });
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const scrape = metrics.registry.metrics();
    await vi.advanceTimersByTimeAsync(5_000);
    const text = await scrape;
    expect(sample(text, 'switchboard_dispatch_queue_depth')).toBe('7');
    // The next scrape shares the read still in flight rather than piling another on the database.
    const again = metrics.registry.metrics();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(sample(await again, 'switchboard_webhooks_pending')).toBe('8');
    expect(reads).toBe(1);
  });
});
