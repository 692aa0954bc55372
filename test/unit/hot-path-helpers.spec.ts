import { Writable } from 'node:stream';
import { Histogram, Registry } from 'prom-client';
import { describe, expect, it, vi } from 'vitest';
import { RefreshAheadCache } from '../../src/common/cache/refresh-ahead-cache.js';
import { createLogger, requestLoggerFactory } from '../../src/common/logging/logger.js';
import { FastHistogram } from '../../src/modules/metrics/fast-histogram.js';

const BOUNDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

describe('FastHistogram', () => {
  it('renders exactly what prom-client’s Histogram renders for the same observations', async () => {
    const ours = new Registry();
    const theirs = new Registry();
    const fast = new FastHistogram('x_seconds', 'help text', ['route', 'method', 'status'], BOUNDS, ours);
    const reference = new Histogram({ name: 'x_seconds', help: 'help text', labelNames: ['route', 'method', 'status'], buckets: BOUNDS, registers: [theirs] });
    const values = [0, 0.0005, 0.0004999, 0.0007, 0.001, 0.3, 2.5, 2.6, 99, 0.01];
    const series = [
      ['/v1/caller-identity', 'GET', '200'],
      ['/v1/signin', 'POST', '401'],
      ['route "with" \\ quotes\n', 'GET', '500'],
    ];
    series.forEach(([route, method, status], i) => {
      const s = fast.series(route!, method!, status!);
      for (const v of values.slice(i)) {
        s.observe(v);
        reference.observe({ route: route!, method: method!, status: status! }, v);
      }
    });
    // A second bind of the same labels is the same series.
    fast.series('/v1/signin', 'POST', '401').observe(0.002);
    reference.observe({ route: '/v1/signin', method: 'POST', status: '401' }, 0.002);
    expect(await ours.metrics()).toBe(await theirs.metrics());
    fast.reset();
    expect(await ours.metrics()).toBe('# HELP x_seconds help text\n# TYPE x_seconds histogram\n');
  });
});

function capture(level: string) {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const l of String(chunk).split('\n')) if (l.trim()) lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger(level, sink), lines };
}

describe('request logger (Fastify childLoggerFactory)', () => {
  it('binds the request id only when a line is written, and writes the same lines as an eager child', async () => {
    const { logger, lines } = capture('info');
    const child = vi.spyOn(logger, 'child');
    const lazy = requestLoggerFactory(logger, { reqId: 'req-12345678' }, {});
    lazy.debug('not written at info');
    expect(child).not.toHaveBeenCalled();
    lazy.info({ a: 1, password: 'hunter2' }, 'first');
    lazy.warn('second');
    expect(child).toHaveBeenCalledTimes(1);
    const eager = logger.child({ reqId: 'req-12345678' }, {});
    eager.info({ a: 1, password: 'hunter2' }, 'first');
    eager.warn('second');
    await new Promise((r) => setImmediate(r));
    const strip = (e: Record<string, unknown>) => ({ ...e, time: undefined });
    expect(lines).toHaveLength(4);
    expect(strip(lines[0]!)).toEqual(strip(lines[2]!));
    expect(strip(lines[1]!)).toEqual(strip(lines[3]!));
    expect(lines[0]).toMatchObject({ reqId: 'req-12345678', requestId: 'req-12345678', a: 1, password: '[REDACTED]', msg: 'first' });
  });

  it('follows the level: nothing is created for disabled levels, a level set on it applies to it alone', () => {
    const { logger } = capture('warn');
    const child = vi.spyOn(logger, 'child');
    const lazy = requestLoggerFactory(logger, { reqId: 'r-00000001' }, {});
    lazy.info('dropped');
    lazy.trace('dropped');
    expect(child).not.toHaveBeenCalled();
    expect(lazy.level).toBe('warn');
    lazy.level = 'debug';
    expect(lazy.level).toBe('debug');
    expect(logger.level).toBe('warn');
    // A route-level log level binds at once (its level differs from the parent's).
    requestLoggerFactory(logger, { reqId: 'r-00000002' }, { level: 'error' });
    expect(child).toHaveBeenCalledTimes(2);
  });
});

describe('RefreshAheadCache.peek', () => {
  it('serves a fresh entry without waiting, refreshes it in the background when due, and never serves one past its age', async () => {
    const cache = new RefreshAheadCache<string>(100, 200);
    const load = vi.fn(async (id: string) => `v-${id}-${load.mock.calls.length}`);
    expect(cache.peek('a', load)).toBeUndefined();
    expect(load).not.toHaveBeenCalled();
    const t0 = Date.now();
    expect(await cache.get('a', load, t0)).toBe('v-a-1');
    expect(cache.peek('a', load, t0 + 50)).toBe('v-a-1');
    expect(load).toHaveBeenCalledTimes(1);
    expect(cache.peek('a', load, t0 + 150)).toBe('v-a-1'); // stale-while-refresh
    expect(load).toHaveBeenCalledTimes(2);
    await new Promise((r) => setImmediate(r));
    expect(cache.peek('a', load, Date.now() + 250)).toBeUndefined(); // past max age
  });
});

describe('RefreshAheadCache.refreshInBatches', () => {
  it('gathers due refreshes into one load of many ids, stores what it returns and drops the ids it leaves out', async () => {
    const cache = new RefreshAheadCache<string>(100, 1_000);
    const load = vi.fn(async (id: string) => `v1-${id}`);
    const loadMany = vi.fn(async (ids: string[]) => new Map(ids.filter((id) => id !== 'gone').map((id) => [id, `v2-${id}`] as [string, string])));
    cache.refreshInBatches(loadMany, 5);
    const t0 = Date.now();
    for (const id of ['a', 'b', 'gone']) expect(await cache.get(id, load, t0)).toBe(`v1-${id}`);
    expect(load).toHaveBeenCalledTimes(3);
    // Due: each is still served at once, and queued for the batch.
    for (const id of ['a', 'b', 'gone', 'a']) expect(cache.peek(id, load, t0 + 150)).toBe(`v1-${id}`);
    expect(loadMany).not.toHaveBeenCalled();
    await new Promise((r) => setTimeout(r, 30));
    expect(loadMany).toHaveBeenCalledTimes(1);
    expect(loadMany.mock.calls[0]![0].sort()).toEqual(['a', 'b', 'gone']);
    expect(load).toHaveBeenCalledTimes(3); // no single loads for refreshes
    expect(cache.peek('a', load)).toBe('v2-a');
    expect(cache.peek('b', load)).toBe('v2-b');
    expect(cache.peek('gone', load)).toBeUndefined(); // deleted meanwhile: no longer served
  });

  it('a failed batch keeps serving the old entries until their age runs out, and a clear() drops a batch in flight', async () => {
    const cache = new RefreshAheadCache<string>(100, 1_000);
    const load = async (id: string) => `v1-${id}`;
    let fail = true;
    let release: () => void = () => undefined;
    const loadMany = vi.fn(async (ids: string[]) => {
      if (fail) throw new Error('database down');
      await new Promise<void>((r) => (release = r));
      return new Map(ids.map((id) => [id, `v2-${id}`] as [string, string]));
    });
    cache.refreshInBatches(loadMany, 1);
    const t0 = Date.now();
    await cache.get('a', load, t0);
    expect(cache.peek('a', load, t0 + 150)).toBe('v1-a');
    await new Promise((r) => setTimeout(r, 20));
    expect(loadMany).toHaveBeenCalledTimes(1);
    expect(cache.peek('a', load, t0 + 160)).toBe('v1-a'); // still served, queued again
    fail = false;
    await new Promise((r) => setTimeout(r, 20));
    expect(loadMany).toHaveBeenCalledTimes(2);
    cache.clear();
    release();
    await new Promise((r) => setTimeout(r, 5));
    expect(cache.peek('a', load)).toBeUndefined(); // the cleared batch stored nothing
  });

  it('a batch also takes the entries in use past half their refresh period, so many entries in use settle into a few loads', async () => {
    vi.useFakeTimers({ toFake: ['Date', 'setTimeout'] });
    try {
      const cache = new RefreshAheadCache<string>(100, 1_000);
      const load = async (id: string) => `v1-${id}`;
      const loadMany = vi.fn(async (ids: string[]) => new Map(ids.map((id) => [id, `v2-${id}`] as [string, string])));
      cache.refreshInBatches(loadMany, 5);
      await cache.get('due', load); // fetched at t0
      vi.advanceTimersByTime(30);
      await cache.get('used', load); // fetched at t0 + 30
      await cache.get('idle', load);
      vi.advanceTimersByTime(40);
      await cache.get('young', load); // fetched at t0 + 70
      vi.advanceTimersByTime(35); // t0 + 105: 'due' is due; 'used' is 75 ms old, past half its refresh period
      for (const id of ['used', 'young', 'due']) expect(cache.peek(id, load)).toBe(`v1-${id}`);
      await vi.advanceTimersByTimeAsync(10);
      expect(loadMany).toHaveBeenCalledTimes(1);
      // 'idle' (not used since its load) ages out instead; 'young' is only 40 ms old.
      expect(loadMany.mock.calls[0]![0].sort()).toEqual(['due', 'used']);
      expect(cache.peek('used', load)).toBe('v2-used');

      // Four entries in use, fetched 20 ms apart and each read every 10 ms for two seconds: without
      // the early refresh each would be a load of its own (72 loads); with it, about one per refresh period.
      const cache2 = new RefreshAheadCache<string>(100, 1_000);
      const loadMany2 = vi.fn(async (ids: string[]) => new Map(ids.map((id) => [id, `v2-${id}`] as [string, string])));
      cache2.refreshInBatches(loadMany2, 5);
      const ids = ['k1', 'k2', 'k3', 'k4'];
      for (const id of ids) {
        await cache2.get(id, load);
        vi.advanceTimersByTime(20);
      }
      for (let t = 0; t < 2_000; t += 10) {
        for (const id of ids) expect(cache2.peek(id, load)).toBeDefined();
        await vi.advanceTimersByTimeAsync(10);
      }
      expect(loadMany2.mock.calls.length).toBeLessThanOrEqual(25);
      expect(loadMany2.mock.calls.slice(-5).every((c) => c[0].length === ids.length)).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });
});

