import { describe, expect, it } from 'vitest';
import { UpstreamCredentialCache, type UpstreamCredentialCacheOptions } from '../../src/modules/aws/upstream-credential-cache.js';

interface Cred {
  id: string;
  expiration: Date;
}

const T0 = Date.UTC(2030, 0, 1);
const HOUR = 3600_000;

/** A cache on a hand-driven clock, with a fetch that counts its calls and issues credentials living `ttlMs`. */
function setup(opts: Partial<UpstreamCredentialCacheOptions> = {}, ttlMs = HOUR) {
  let now = T0;
  const cache = new UpstreamCredentialCache<Cred>({
    enabled: true,
    maxReuseSeconds: 300,
    minRemainingSeconds: 900,
    clock: () => now,
    ...opts,
  });
  let calls = 0;
  const fetch = async (): Promise<Cred> => {
    calls++;
    await new Promise((r) => setTimeout(r, 5));
    return { id: `cred-${calls}`, expiration: new Date(now + ttlMs) };
  };
  return {
    cache,
    fetch,
    calls: () => calls,
    advance: (ms: number) => (now += ms),
  };
}

/** A fetch that stays pending until released. */
function gate<T>() {
  let release!: (v: T) => void;
  let fail!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    release = res;
    fail = rej;
  });
  let calls = 0;
  return { fetch: () => (calls++, promise), release, fail, calls: () => calls };
}

describe('UpstreamCredentialCache', () => {
  it('shares one fetch between 20 concurrent identical calls', async () => {
    const s = setup();
    const results = await Promise.all(Array.from({ length: 20 }, () => s.cache.get('k', s.fetch)));
    expect(s.calls()).toBe(1);
    expect(new Set(results.map((r) => r.value))).toEqual(new Set([results[0].value]));
    expect(results.every((r) => r.reused === false)).toBe(true);
  });

  it('fetches separately for different keys', async () => {
    const s = setup();
    const [a, b, a2] = await Promise.all([s.cache.get('a', s.fetch), s.cache.get('b', s.fetch), s.cache.get('a', s.fetch)]);
    expect(s.calls()).toBe(2);
    expect(a.value).toBe(a2.value);
    expect(a.value).not.toBe(b.value);
  });

  it('reuses a completed value within maxReuseSeconds, then fetches again', async () => {
    const s = setup({ maxReuseSeconds: 300, minRemainingSeconds: 60 });
    const first = await s.cache.get('k', s.fetch);
    s.advance(299_999);
    const again = await s.cache.get('k', s.fetch);
    expect(again).toEqual({ value: first.value, reused: true });
    expect(s.calls()).toBe(1);
    s.advance(1);
    const fresh = await s.cache.get('k', s.fetch);
    expect(fresh.reused).toBe(false);
    expect(fresh.value).not.toBe(first.value);
    expect(s.calls()).toBe(2);
  });

  it('reuses only while the credentials keep minRemainingSeconds', async () => {
    // Issued for 20 minutes; 15 minutes must remain: reusable for the first 5 minutes only (and maxReuse is longer).
    const s = setup({ maxReuseSeconds: 3600, minRemainingSeconds: 900 }, 20 * 60_000);
    const first = await s.cache.get('k', s.fetch);
    s.advance(5 * 60_000);
    expect((await s.cache.get('k', s.fetch)).reused).toBe(true);
    s.advance(1);
    const next = await s.cache.get('k', s.fetch);
    expect(next.reused).toBe(false);
    expect(next.value).not.toBe(first.value);
    expect(s.calls()).toBe(2);
  });

  it('never keeps credentials that are too short-lived to be reused', async () => {
    const s = setup({ minRemainingSeconds: 900 }, 900_000 - 1);
    await s.cache.get('k', s.fetch);
    expect(s.cache.size).toBe(0);
    await s.cache.get('k', s.fetch);
    expect(s.calls()).toBe(2);
  });

  it('accepts an explicit now per call', async () => {
    const s = setup({ maxReuseSeconds: 60, minRemainingSeconds: 60 });
    await s.cache.get('k', s.fetch, T0);
    expect((await s.cache.get('k', s.fetch, new Date(T0 + 59_000))).reused).toBe(true);
    expect((await s.cache.get('k', s.fetch, T0 + 60_000)).reused).toBe(false);
    expect(s.calls()).toBe(2);
  });

  it('when disabled, still shares concurrent calls but never reuses a completed value', async () => {
    const s = setup({ enabled: false });
    const both = await Promise.all([s.cache.get('k', s.fetch), s.cache.get('k', s.fetch)]);
    expect(s.calls()).toBe(1);
    expect(both[0].value).toBe(both[1].value);
    const later = await s.cache.get('k', s.fetch);
    expect(later.reused).toBe(false);
    expect(s.calls()).toBe(2);
    expect(s.cache.size).toBe(0);
  });

  it('rejects every waiter on failure and does not remember it', async () => {
    const s = setup();
    const g = gate<Cred>();
    const waiters = Array.from({ length: 5 }, () => s.cache.get('k', g.fetch));
    g.fail(new Error('AWS said no'));
    for (const w of waiters) await expect(w).rejects.toThrow('AWS said no');
    expect(g.calls()).toBe(1);
    expect(s.cache.size).toBe(0);
    const ok = await s.cache.get('k', s.fetch);
    expect(ok.reused).toBe(false);
    expect(s.calls()).toBe(1);
  });

  it('turns a fetch that throws synchronously into a rejection', async () => {
    const s = setup();
    const boom = () => {
      throw new Error('sync boom');
    };
    await expect(s.cache.get('k', boom as unknown as () => Promise<Cred>)).rejects.toThrow('sync boom');
    expect((await s.cache.get('k', s.fetch)).value.id).toBe('cred-1');
  });

  it('forget drops matching completed values and says how many', async () => {
    const s = setup();
    await s.cache.get('acct1/a', s.fetch);
    await s.cache.get('acct1/b', s.fetch);
    await s.cache.get('acct2/a', s.fetch);
    expect(s.cache.forget((key) => key.startsWith('acct1/'))).toBe(2);
    expect((await s.cache.get('acct2/a', s.fetch)).reused).toBe(true);
    expect((await s.cache.get('acct1/a', s.fetch)).reused).toBe(false);
    expect(s.calls()).toBe(4);
    // The predicate sees the value too.
    expect(s.cache.forget((_k, v) => v.id === 'cred-4')).toBe(1);
    expect(s.cache.forget(() => false)).toBe(0);
  });

  it('forget during a fetch: later callers fetch anew and a matching result is not kept', async () => {
    const s = setup();
    const g = gate<Cred>();
    const early = s.cache.get('k', g.fetch);
    expect(s.cache.forget((key) => key === 'k')).toBe(0);
    const late = s.cache.get('k', s.fetch);
    g.release({ id: 'before-revocation', expiration: new Date(T0 + HOUR) });
    expect((await early).value.id).toBe('before-revocation');
    expect((await late).value.id).toBe('cred-1');
    // The fetch that completed after the forget is what is reused, not the revoked one.
    expect((await s.cache.get('k', s.fetch)).value.id).toBe('cred-1');
  });

  it('forget during a fetch keeps a result the predicate does not match', async () => {
    const s = setup();
    const g = gate<Cred>();
    const p = s.cache.get('k', g.fetch);
    s.cache.forget((key) => key === 'other');
    g.release({ id: 'kept', expiration: new Date(T0 + HOUR) });
    await p;
    expect(await s.cache.get('k', s.fetch)).toMatchObject({ value: { id: 'kept' }, reused: true });
  });

  it('is bounded: the oldest value is evicted first', async () => {
    const s = setup({ maxEntries: 3 });
    for (const k of ['a', 'b', 'c', 'd']) await s.cache.get(k, s.fetch);
    expect(s.cache.size).toBe(3);
    expect((await s.cache.get('b', s.fetch)).reused).toBe(true);
    expect((await s.cache.get('d', s.fetch)).reused).toBe(true);
    expect(s.calls()).toBe(4);
    expect((await s.cache.get('a', s.fetch)).reused).toBe(false);
    expect(s.calls()).toBe(5);
    expect(s.cache.size).toBe(3);
  });

  it('defaults to 10,000 entries', async () => {
    const s = setup();
    const fast = async () => ({ id: 'x', expiration: new Date(T0 + HOUR) });
    for (let i = 0; i < 10_001; i++) await s.cache.get(`k${i}`, fast);
    expect(s.cache.size).toBe(10_000);
    expect((await s.cache.get('k0', s.fetch)).reused).toBe(false);
    expect((await s.cache.get('k10000', s.fetch)).reused).toBe(true);
  });
});
