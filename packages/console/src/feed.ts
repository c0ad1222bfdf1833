/**
 * The live feed: one EventSource for the whole app, fanned out to the views that listen. The
 * server coalesces updates (the latest state of each message, a few batches a second), so views
 * apply a batch in one render. After a reconnect or a `reset` (the server dropped updates because
 * this tab fell behind) listeners are told to reload what they show.
 */
import type { ConsoleFeedBatch } from '@switchboard/protocol';
import { useEffect } from 'preact/hooks';

export type FeedState = 'connecting' | 'live' | 'offline';

type BatchListener = (batch: ConsoleFeedBatch) => void;
type ReloadListener = () => void;
type StateListener = (state: FeedState) => void;

class Feed {
  private source: EventSource | null = null;
  private readonly batchListeners = new Set<BatchListener>();
  private readonly reloadListeners = new Set<ReloadListener>();
  private readonly stateListeners = new Set<StateListener>();
  private wasOpen = false;
  state: FeedState = 'offline';
  /** Counters for benchmarks and tests (read through `window.__switchboardFeed`). */
  readonly stats = { batches: 0, messages: 0, lastBatchAt: 0 };

  start(): void {
    if (this.source) return;
    this.setState('connecting');
    const source = new EventSource('/api/console/events');
    this.source = source;
    source.onopen = () => {
      this.setState('live');
      // Whatever changed while we were away was not streamed: reload.
      if (this.wasOpen) for (const l of this.reloadListeners) l();
      this.wasOpen = true;
    };
    source.onerror = () => this.setState(source.readyState === EventSource.CLOSED ? 'offline' : 'connecting');
    source.addEventListener('batch', (e) => {
      const batch = JSON.parse((e as MessageEvent<string>).data) as ConsoleFeedBatch;
      this.stats.batches++;
      this.stats.messages += batch.messages.length;
      this.stats.lastBatchAt = Date.now();
      if (batch.reset) for (const l of this.reloadListeners) l();
      else for (const l of this.batchListeners) l(batch);
    });
  }

  stop(): void {
    this.source?.close();
    this.source = null;
    this.wasOpen = false;
    this.setState('offline');
  }

  onBatch(l: BatchListener): () => void {
    this.batchListeners.add(l);
    return () => this.batchListeners.delete(l);
  }

  onReload(l: ReloadListener): () => void {
    this.reloadListeners.add(l);
    return () => this.reloadListeners.delete(l);
  }

  onState(l: StateListener): () => void {
    this.stateListeners.add(l);
    return () => this.stateListeners.delete(l);
  }

  private setState(s: FeedState): void {
    this.state = s;
    for (const l of this.stateListeners) l(s);
  }
}

export const feed = new Feed();

/**
 * Listen to the feed while a view is mounted (subscribed again when `deps` change): `onBatch` for
 * each batch, `onReload` when what the view shows must be loaded again.
 */
export function useFeed(onBatch: BatchListener, onReload: ReloadListener, deps: unknown[]): void {
  useEffect(() => {
    const offBatch = feed.onBatch(onBatch);
    const offReload = feed.onReload(onReload);
    return () => {
      offBatch();
      offReload();
    };
  }, deps);
}
(window as unknown as { __switchboardFeed: Feed }).__switchboardFeed = feed;
