import { describe, expect, it } from 'vitest';
import { InProcessBus } from '../../bus/in-process-bus.js';
import { ManualClock } from '../../domain/clock.js';
import { hashToken, type TokenScope } from '../../domain/credentials.js';
import type { ApiTokenRecord } from '../../domain/project.js';
import type { ProjectRepository, TokenRepository } from '../../domain/ports/store.js';
import { CredentialVerifier } from './credential-verifier.js';

const P = '11111111-1111-4111-8111-111111111111';
const GOOD = 'PTgoodToken0123456789abcdefghijklmnopqrstuvwxyzAB';
const TEST = 'PTtestToken0123456789abcdefghijklmnopqrstuvwxyzAB';

function token(id: string, secret: string, opts: { test?: boolean; scopes?: TokenScope[] } = {}): ApiTokenRecord {
  return { id, projectId: P, name: id, tokenHash: hashToken(secret), tokenPrefix: secret.slice(0, 8), scopes: opts.scopes ?? ['messaging'], createdAt: 0, revokedAt: null, test: opts.test ?? false };
}

/** A project whose active tokens the test changes directly; `reads` counts the token lists read. */
function setup() {
  const active: ApiTokenRecord[] = [token('t1', GOOD), token('t2', TEST, { test: true })];
  let reads = 0;
  const projects = { get: async (id: string) => (id === P ? { id: P, name: 'p', signingKey: 'PSK_x', createdAt: 0 } : undefined) } as unknown as ProjectRepository;
  const tokens = {
    listActive: async () => {
      reads++;
      return [...active];
    },
  } as unknown as TokenRepository;
  const clock = new ManualClock();
  const bus = new InProcessBus();
  const verifier = new CredentialVerifier(projects, tokens, clock, bus, 5_000);
  const revoke = (id: string) => active.splice(active.findIndex((t) => t.id === id), 1);
  const add = (record: ApiTokenRecord) => active.push(record);
  return { verifier, clock, bus, revoke, add, reads: () => reads };
}

describe('CredentialVerifier', () => {
  it('answers a token that matched before with the same principal, without reading the tokens again', async () => {
    const { verifier, reads } = setup();
    const first = await verifier.verify(P, GOOD);
    expect(first).toMatchObject({ projectId: P, tokenId: 't1', tokenDigest: hashToken(GOOD) });
    expect([...first!.scopes]).toEqual(['messaging']);
    expect(await verifier.verify(P, GOOD)).toBe(first);
    expect(reads()).toBe(1);
    expect(await verifier.verify(P, `${GOOD}x`)).toBeNull();
    expect(await verifier.verify(P, GOOD.slice(0, -1))).toBeNull();
  });

  it('refuses a revoked token at once when the revocation is announced on this node', async () => {
    const { verifier, bus, revoke } = setup();
    expect(await verifier.verify(P, GOOD)).not.toBeNull();
    revoke('t1');
    bus.publish('credentials.changed', { projectId: P });
    expect(await verifier.verify(P, GOOD)).toBeNull();
  });

  it('does not cache tokens read before a revocation announced while they were read', async () => {
    const active = [token('t1', GOOD)];
    let answer!: () => void;
    const projects = { get: async () => ({ id: P, name: 'p', signingKey: 'PSK_x', createdAt: 0 }) } as unknown as ProjectRepository;
    const tokens = {
      listActive: async () => {
        const seen = [...active];
        await new Promise<void>((resolve) => (answer = resolve));
        return seen;
      },
    } as unknown as TokenRepository;
    const bus = new InProcessBus();
    const verifier = new CredentialVerifier(projects, tokens, new ManualClock(), bus, 5_000);
    const during = verifier.verify(P, GOOD);
    await new Promise((resolve) => setImmediate(resolve));
    active.splice(0);
    bus.publish('credentials.changed', { projectId: P });
    answer();
    expect(await during).not.toBeNull();
    // Read again, not answered from what the lookup before the revocation saw.
    const after = verifier.verify(P, GOOD);
    await new Promise((resolve) => setImmediate(resolve));
    answer();
    expect(await after).toBeNull();
  });

  it('refuses a token revoked elsewhere (no announcement here) once the cache entry is older than its ttl', async () => {
    const { verifier, clock, revoke } = setup();
    expect(await verifier.verify(P, GOOD)).not.toBeNull();
    revoke('t1');
    clock.advance(4_999);
    expect(await verifier.verify(P, GOOD)).not.toBeNull();
    clock.advance(1);
    expect(await verifier.verify(P, GOOD)).toBeNull();
  });

  it('accepts a token made elsewhere (no announcement here) before the entry expires, reading the tokens again at most once per 250 ms on a miss', async () => {
    const { verifier, clock, add, reads } = setup();
    expect(await verifier.verify(P, GOOD)).not.toBeNull();
    const FRESH = 'PTfreshToken123456789abcdefghijklmnopqrstuvwxyzAB';
    add(token('t3', FRESH));
    // Within 250 ms of the read a miss is answered from the entry: a flood of wrong tokens reads nothing more.
    clock.advance(249);
    expect(await verifier.verify(P, FRESH)).toBeNull();
    expect(await verifier.verify(P, 'PTwrong')).toBeNull();
    expect(reads()).toBe(1);
    clock.advance(1);
    expect(await verifier.verify(P, FRESH)).toMatchObject({ projectId: P, tokenId: 't3' });
    expect(reads()).toBe(2);
    expect(await verifier.verify(P, 'PTwrong')).toBeNull();
    expect(reads()).toBe(2);
  });

  it('keeps a remembered test token a test token: refused unless the caller allows test credentials', async () => {
    const { verifier } = setup();
    expect(await verifier.verify(P, TEST)).toBeNull();
    expect(await verifier.verify(P, TEST, { allowTest: true })).toMatchObject({ tokenId: 't2', test: true });
    expect(await verifier.verify(P, TEST)).toBeNull();
    expect(await verifier.verify(P, TEST, { allowTest: true })).toMatchObject({ tokenId: 't2', test: true });
  });
});
