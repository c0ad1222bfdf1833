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
 * The slots are shared fairly between projects (`projectOf`), as the webhook runner shares its
 * pool (destination-gate.ts, `projectHasRoom`): a freed slot goes to the waiting project with the
 * fewest lookups running, projects with as many taking turns. So while another project waits, a
 * project whose receivers' DNS hangs holds no more than its equal share (one of two slots), and
 * the others' lookups wait for one of its lookups to end, not for its whole queue. A slot is never
 * left idle while a name waits.
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
  /** The project a lookup of the name is for (its queue and share of the slots); one shared queue without it. */
  readonly projectOf?: (hostname: string) => string;
}

/** A `lookup` for `net.connect` (and undici's connector) over `lookup`, bounded as the module says. */
export function lookupSlots(lookup: AllLookup, o: LookupSlotsOptions) {
  const cache = new Map<string, { until: number; err: Error | null; addresses: LookupAddress[] }>();
  const inFlight = new Map<string, Array<(err: Error | null, addresses: LookupAddress[]) => void>>();
  /** Names waiting for a slot, by project; a project served goes to the back (insertion order). */
  const waiting = new Map<string, string[]>();
  let waitingCount = 0;
  /** Lookups running, by project. */
  const runningBy = new Map<string, number>();
  let running = 0;

  function start(hostname: string, project: string): void {
    running++;
    runningBy.set(project, (runningBy.get(project) ?? 0) + 1);
    let answered = false;
    lookup(hostname, { all: true }, (err, addresses) => {
      if (answered) return;
      answered = true;
      running--;
      const left = runningBy.get(project)! - 1;
      if (left === 0) runningBy.delete(project);
      else runningBy.set(project, left);
      if (cache.size >= o.maxCached) cache.delete(cache.keys().next().value as string);
      cache.set(hostname, { until: o.now() + (err ? o.negativeTtlMs : o.ttlMs), err, addresses: addresses ?? [] });
      const callers = inFlight.get(hostname) ?? [];
      inFlight.delete(hostname);
      for (const c of callers) c(err, addresses ?? []);
      while (running < o.slots && waitingCount > 0) startNext();
    });
  }

  /** Start the next name of the waiting project with the fewest lookups running (the first in turn among equals). */
  function startNext(): void {
    let next = '';
    let fewest = Infinity;
    for (const project of waiting.keys()) {
      const n = runningBy.get(project) ?? 0;
      if (n < fewest) [next, fewest] = [project, n];
      if (n === 0) break;
    }
    const queue = waiting.get(next)!;
    waiting.delete(next);
    waitingCount--;
    const hostname = queue.shift()!;
    if (queue.length > 0) waiting.set(next, queue);
    start(hostname, next);
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
    if (running >= o.slots && waitingCount >= o.maxWaiting) {
      return void process.nextTick(done, Object.assign(new Error(`getaddrinfo EAI_AGAIN ${hostname}: too many host name lookups waiting`), { code: 'EAI_AGAIN', hostname }));
    }
    inFlight.set(hostname, [answer]);
    const project = o.projectOf ? o.projectOf(hostname) : '';
    // Nothing waits while a slot is free (a freed slot starts the next waiting name).
    if (running < o.slots) return start(hostname, project);
    const queue = waiting.get(project);
    if (queue) queue.push(hostname);
    else waiting.set(project, [hostname]);
    waitingCount++;
  };
}
