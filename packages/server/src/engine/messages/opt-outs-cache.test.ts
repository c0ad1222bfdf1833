/**
 * The "has this project any opt-outs" cache behind the create-time check, against an opt-out added
 * on another node (announced on the bus) while this node was reading the answer. In-memory SQLite
 * and the manual clock; the test holds the store's answer until it lets it through.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InProcessBus } from '../../bus/in-process-bus.js';
import { isAppError } from '../../domain/app-error.js';
import { ManualClock } from '../../domain/clock.js';
import { randomIds } from '../../domain/ids.js';
import type { OptOutRepository } from '../../domain/ports/store.js';
import type { SendInput } from '../../domain/send-request.js';
import { openSqliteStore } from '../../store/dialects/sqlite.js';
import type { KyselyStore } from '../../store/kysely-store.js';
import { OptOutService } from './opt-outs.js';
import { MessagingSettingsCache } from './opt-outs-settings.js';

const P = '00000000-0000-4000-8000-00000000000a';
const FROM = '+15550000001';
const HANDSET = '+15559990001';
const input = { to: HANDSET, from: FROM, body: 'hi' } as SendInput;

let store: KyselyStore;
let bus: InProcessBus;
let clock: ManualClock;
let service: OptOutService;
let waiting: Array<() => void>;
let anyReads: number;

beforeEach(async () => {
  store = await openSqliteStore({ file: ':memory:' });
  await store.projects.create({ id: P, name: 'p', signingKey: 'PSK_x', createdAt: 0 });
  waiting = [];
  anyReads = 0;
  const inner = store.optOuts;
  const repository = new Proxy(inner, {
    get: (target, method) =>
      method === 'any'
        ? async (projectId: string) => {
            anyReads++;
            const seen = await inner.any(projectId);
            await new Promise<void>((resolve) => waiting.push(resolve));
            return seen;
          }
        : Reflect.get(target, method),
  }) as OptOutRepository;
  bus = new InProcessBus();
  clock = new ManualClock();
  const settings = new MessagingSettingsCache({ repository, bus, now: () => clock.now() });
  service = new OptOutService({ repository, settings, bus, clock, ids: randomIds }, 30_000);
});

afterEach(async () => {
  await store.close();
});

const answerAll = () => waiting.splice(0).forEach((r) => r());
const settled = () => new Promise((resolve) => setImmediate(resolve));

/** Another node puts the handset on the sender's list and announces it. */
async function optedOutElsewhere(): Promise<void> {
  await store.optOuts.add([{ id: randomIds.uuid(), projectId: P, sender: FROM, handset: HANDSET, keyword: 'STOP', createdAt: clock.now() }]);
  bus.publish('opt_outs.changed', { projectId: P });
}

describe('the opt-out check’s cache', () => {
  it('looks the handset up when an opt-out was announced while it read "none", and keeps no "none"', async () => {
    const during = service.check(P, FROM, HANDSET, null, input);
    await settled();
    await optedOutElsewhere();
    answerAll();
    expect(isAppError(await during?.catch((err: unknown) => err), 'TO_OPTED_OUT')).toBe(true);
    // Not answered "none" from the read the announcement overtook.
    const next = service.check(P, FROM, HANDSET, null, input);
    await settled();
    answerAll();
    expect(isAppError(await next?.catch((err: unknown) => err), 'TO_OPTED_OUT')).toBe(true);
  });

  it('answers "none" without a statement for ttlMs, then reads again', async () => {
    const first = service.check(P, FROM, HANDSET, null, input);
    await settled();
    answerAll();
    await first;
    expect(service.check(P, FROM, HANDSET, null, input)).toBeUndefined();
    clock.advance(30_000);
    const again = service.check(P, FROM, HANDSET, null, input);
    expect(again).toBeInstanceOf(Promise);
    await settled();
    answerAll();
    await again;
    expect(anyReads).toBe(2);
  });
});
