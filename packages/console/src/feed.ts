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

/** Longest wait between attempts to open the feed again. */
const MAX_RETRY_MS = 30_000;

class Feed {
  private source: EventSource | null = null;
  private readonly batchListeners = new Set<BatchListener>();
  private readonly reloadListeners = new Set<ReloadListener>();
  private readonly stateListeners = new Set<StateListener>();
  private readonly lostListeners = new Set<ReloadListener>();
  private wasOpen = false;
  /** The next connection attempt after the feed was refused or lost (see `onerror`). */
  private retry: ReturnType<typeof setTimeout> | undefined;
  private failures = 0;
  state: FeedState = 'offline';
  /** Counters for benchmarks and tests (read through `window.__switchboardFeed`). */
  readonly stats = { batches: 0, messages: 0, lastBatchAt: 0 };

  start(): void {
    // While a retry waits, a session check that finds the session open does not skip the wait.
    if (this.source || this.retry) return;
    this.connect();
  }

  private connect(): void {
    this.retry = undefined;
    this.setState('connecting');
    const source = new EventSource('/api/console/events');
    this.source = source;
    source.onopen = () => {
      this.failures = 0;
      this.setState('live');
      // Whatever changed while we were away was not streamed: reload.
      if (this.wasOpen) for (const l of this.reloadListeners) l();
      this.wasOpen = true;
    };
    source.onerror = () => {
      if (source.readyState !== EventSource.CLOSED) return this.setState('connecting');
      // An answer other than the stream (401 after a logout elsewhere, 429, a proxy's 502 during a
      // restart) closes an EventSource for good: the tab stayed "Offline" until reloaded, showing a
      // project whose session had ended. Check the session, and connect again, more slowly each time.
      source.close();
      this.source = null;
      this.setState('offline');
      this.retry = setTimeout(() => this.connect(), Math.min(MAX_RETRY_MS, 1000 * 2 ** this.failures++));
      for (const l of this.lostListeners) l();
    };
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
    clearTimeout(this.retry);
    this.retry = undefined;
    this.failures = 0;
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

  /** Called when the server refused the feed or it could not be reached: the session may have ended. */
  onLost(l: ReloadListener): () => void {
    this.lostListeners.add(l);
    return () => this.lostListeners.delete(l);
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
