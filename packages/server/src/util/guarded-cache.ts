/**
 * A read-through cache of values loaded from storage, dropped when a change is heard (usually a bus
 * message) and otherwise kept `ttlMs` at most. Its point is the guard every such cache needs: a load
 * that was under way when its key was invalidated read the store before the change, so what it read
 * is handed to the callers waiting for it but never kept — otherwise the value the change replaced
 * would be served for a whole TTL after it.
 *
 * Loads of one key share one read (callers arriving while it runs wait for it); an invalidation
 * detaches that read, so callers after the change start a new one. Entries expire `ttlMs` after their
 * load began (or when `expiresAt` says); past `maxEntries` the oldest stored entry goes.
 */
export interface GuardedCacheOptions<V> {
  /** Read a key's value from storage. */
  readonly load: (key: string) => Promise<V>;
  readonly now: () => number;
  /** How long a value is served after its load began (default: until invalidated). */
  readonly ttlMs?: number;
  /** When a value stops being served, instead of `storedAt + ttlMs` (a value with its own end, or one kept for good). */
  readonly expiresAt?: (value: V, storedAt: number) => number;
  /** Entries kept at most (default: no bound). */
  readonly maxEntries?: number;
}

/** A value read through the cache, and whether it is current: false when its key was invalidated while it was loading (it was not kept). */
export interface GuardedRead<V> {
  readonly value: V;
  readonly current: boolean;
}

interface Flight<V> {
  promise: Promise<GuardedRead<V>>;
  /** Invalidated (or replaced by `set`) while loading: the value is not kept. */
  superseded: boolean;
}

export class GuardedCache<V> {
  private readonly entries = new Map<string, { readonly value: V; readonly until: number }>();
  /** The load each key's callers join: at most one per key (a superseded one is no longer here). */
  private readonly flights = new Map<string, Flight<V>>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;

  constructor(private readonly opts: GuardedCacheOptions<V>) {
    this.ttlMs = opts.ttlMs ?? Infinity;
    this.maxEntries = opts.maxEntries ?? Infinity;
    if (!(this.maxEntries >= 1)) throw new RangeError(`maxEntries must be at least 1 (got ${this.maxEntries})`);
  }

  /** The key's value: the cached one while fresh, else loaded (joining a load under way). */
  get(key: string): Promise<V> {
    const hit = this.entries.get(key);
    if (hit && this.opts.now() < hit.until) return Promise.resolve(hit.value);
    return this.flight(key).promise.then((r) => r.value);
  }

  /** `get`, telling whether the value is current (see `GuardedRead`). */
  read(key: string): Promise<GuardedRead<V>> {
    const hit = this.entries.get(key);
    if (hit && this.opts.now() < hit.until) return Promise.resolve({ value: hit.value, current: true });
    return this.flight(key).promise;
  }

  /** The key's fresh cached value, without loading (undefined: none). */
  peek(key: string): V | undefined {
    const hit = this.entries.get(key);
    return hit && this.opts.now() < hit.until ? hit.value : undefined;
  }

  /** The key's cached value even if expired (undefined: none, or invalidated). */
  last(key: string): V | undefined {
    return this.entries.get(key)?.value;
  }

  /** Store a value known to be current (one just written); a load under way for the key is not kept. */
  set(key: string, value: V): void {
    this.detach(key);
    this.store(key, value, this.opts.now());
  }

  /** Drop a key; a load under way for it is not kept. */
  invalidate(key: string): void {
    this.entries.delete(key);
    this.detach(key);
  }

  /** Drop everything; no load under way is kept. */
  invalidateAll(): void {
    this.entries.clear();
    this.detachAll();
  }

  /** Drop the entries whose value matches; no load under way is kept (what it will read is not known yet). */
  invalidateWhere(matches: (value: V, key: string) => boolean): void {
    for (const [key, entry] of this.entries) if (matches(entry.value, key)) this.entries.delete(key);
    this.detachAll();
  }

  /** Entries held (expired ones included until replaced or evicted). */
  get size(): number {
    return this.entries.size;
  }

  private flight(key: string): Flight<V> {
    const pending = this.flights.get(key);
    if (pending) return pending;
    const startedAt = this.opts.now();
    const flight = { superseded: false } as Flight<V>;
    // In the map before the load starts, so a loader that throws at once still leaves it.
    this.flights.set(key, flight);
    flight.promise = (async () => {
      try {
        const value = await this.opts.load(key);
        if (!flight.superseded) this.store(key, value, startedAt);
        return { value, current: !flight.superseded };
      } finally {
        if (this.flights.get(key) === flight) this.flights.delete(key);
      }
    })();
    return flight;
  }

  private store(key: string, value: V, at: number): void {
    const until = this.opts.expiresAt ? this.opts.expiresAt(value, at) : at + this.ttlMs;
    if (this.entries.has(key)) this.entries.delete(key);
    else if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, { value, until });
  }

  private detach(key: string): void {
    const flight = this.flights.get(key);
    if (!flight) return;
    flight.superseded = true;
    this.flights.delete(key);
  }

  private detachAll(): void {
    for (const flight of this.flights.values()) flight.superseded = true;
    this.flights.clear();
  }
}
