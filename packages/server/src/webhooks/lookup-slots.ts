/**
 * Host name lookups for webhook receivers, kept from starving the rest of the process.
 *
 * `dns.lookup` (getaddrinfo) runs on libuv's thread pool — four threads by default, shared with the
 * file system, the PostgreSQL and NATS reconnects' own lookups and the rest of the process. A
 * receiver whose name's DNS answers slowly or never holds a thread for the resolver's whole
 * timeout (seconds, per attempt), and the request's own timeouts do not give it back: a project
 * with callbacks to such names would hold every thread. Here at most `slots` lookups run at once,
 * one per name (later callers of a name in flight share its answer), at most `maxWaiting` wait
 * for a slot (beyond that a lookup fails at once, EAI_AGAIN: the delivery is retried like any
 * failure to connect), and answers are kept `ttlMs` (failures `negativeTtlMs`), at most
 * `maxCached` names.
 *
 * No imports and nothing from outside the function: the webhook HTTP worker embeds its source
 * (`lookupSlots.toString()`, see http-worker-source.ts).
 */

export interface LookupAddress {
  readonly address: string;
  readonly family: number;
}
type AllLookup = (hostname: string, options: { all: true }, callback: (err: Error | null, addresses: LookupAddress[]) => void) => void;
type LookupCallback = (err: Error | null, address?: string | LookupAddress[], family?: number) => void;

export interface LookupSlotsOptions {
  readonly slots: number;
  readonly maxWaiting: number;
  readonly ttlMs: number;
  readonly negativeTtlMs: number;
  readonly maxCached: number;
  readonly now: () => number;
}

/** A `lookup` for `net.connect` (and undici's connector) over `lookup`, bounded as the module says. */
export function lookupSlots(lookup: AllLookup, o: LookupSlotsOptions) {
  const cache = new Map<string, { until: number; err: Error | null; addresses: LookupAddress[] }>();
  const inFlight = new Map<string, Array<(err: Error | null, addresses: LookupAddress[]) => void>>();
  const waiting: string[] = [];
  let running = 0;

  function start(hostname: string): void {
    running++;
    let answered = false;
    lookup(hostname, { all: true }, (err, addresses) => {
      if (answered) return;
      answered = true;
      running--;
      if (cache.size >= o.maxCached) cache.delete(cache.keys().next().value as string);
      cache.set(hostname, { until: o.now() + (err ? o.negativeTtlMs : o.ttlMs), err, addresses: addresses ?? [] });
      const callers = inFlight.get(hostname) ?? [];
      inFlight.delete(hostname);
      for (const c of callers) c(err, addresses ?? []);
      while (running < o.slots && waiting.length > 0) start(waiting.shift()!);
    });
  }

  return function boundedLookup(hostname: string, options: { family?: number | string; all?: boolean } | LookupCallback, callback?: LookupCallback): void {
    const opts = typeof options === 'function' ? {} : options;
    const done = (typeof options === 'function' ? options : callback)!;
    const family = opts.family === 'IPv4' ? 4 : opts.family === 'IPv6' ? 6 : Number(opts.family) || 0;
    const answer = (err: Error | null, addresses: LookupAddress[]) => {
      if (err) return done(err);
      const list = family ? addresses.filter((a) => a.family === family) : addresses;
      if (list.length === 0) return done(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', hostname }));
      if (opts.all) return done(null, list);
      done(null, list[0]!.address, list[0]!.family);
    };
    const hit = cache.get(hostname);
    if (hit && hit.until > o.now()) return void process.nextTick(answer, hit.err, hit.addresses);
    const callers = inFlight.get(hostname);
    if (callers) return void callers.push(answer);
    if (running >= o.slots && waiting.length >= o.maxWaiting) {
      return void process.nextTick(done, Object.assign(new Error(`getaddrinfo EAI_AGAIN ${hostname}: too many host name lookups waiting`), { code: 'EAI_AGAIN', hostname }));
    }
    inFlight.set(hostname, [answer]);
    if (running < o.slots) start(hostname);
    else waiting.push(hostname);
  };
}
