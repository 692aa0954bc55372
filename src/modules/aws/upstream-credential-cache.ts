/**
 * Sharing and reuse of upstream temporary credentials (framework-free; unit-tested).
 *
 * - Single flight (always on): while a fetch for a key is in flight, every other
 *   `get` of that key waits for the same fetch and receives the same value. A
 *   failure rejects every waiter and is not remembered: the next `get` fetches again.
 * - Reuse (when enabled): a completed value is handed out again for the same key
 *   while `now - fetchedAt < maxReuseSeconds` AND `expiration - now >= minRemainingSeconds`.
 *   `fetchedAt` is the time the fetch started, so the reuse window ends no later than
 *   `maxReuseSeconds` after the credentials were issued.
 * - Bounded: at most `maxEntries` completed values; inserting one more evicts the
 *   oldest. Entries that can no longer be reused are dropped when met.
 * - `forget(predicate)` drops completed values (revocation). Fetches in flight at
 *   that moment can no longer be joined by later callers, and their results are
 *   only kept for reuse if the predicate does not match them.
 *
 * Values are held in memory only and never logged.
 */

export interface UpstreamCredentialCacheOptions {
  /** Off = single flight only; nothing is reused once its fetch completed. */
  enabled: boolean;
  /** A value is handed out again for at most this long after its fetch started. */
  maxReuseSeconds: number;
  /** …and only while it still has at least this long to live. */
  minRemainingSeconds: number;
  /** Most completed values kept (default 10,000); the oldest is evicted first. */
  maxEntries?: number;
  /** Clock in epoch milliseconds (default Date.now); tests inject one. */
  clock?: () => number;
}

export interface UpstreamCredentialCacheResult<T> {
  value: T;
  /** True when the value came from the completed-value cache (it was handed out before). */
  reused: boolean;
}

export type ForgetPredicate<T> = (key: string, value: T) => boolean;

interface Completed<T> {
  value: T;
  fetchedAt: number;
}

interface InFlight<T> {
  promise: Promise<T>;
  /** forget() predicates issued while this fetch was in flight: checked before its result is kept. */
  forgotten: ForgetPredicate<T>[];
}

export const DEFAULT_MAX_CACHE_ENTRIES = 10_000;

export class UpstreamCredentialCache<T extends { expiration: Date }> {
  private readonly completed = new Map<string, Completed<T>>();
  private readonly inFlight = new Map<string, InFlight<T>>();
  private readonly maxEntries: number;
  private readonly clock: () => number;

  constructor(private readonly options: UpstreamCredentialCacheOptions) {
    this.maxEntries = Math.max(1, options.maxEntries ?? DEFAULT_MAX_CACHE_ENTRIES);
    this.clock = options.clock ?? Date.now;
  }

  /**
   * The value for `key`: a reusable completed one, else the one being fetched, else
   * the result of a new `fetch()`. `now` (epoch ms or a Date) defaults to the clock.
   */
  async get(key: string, fetch: () => Promise<T>, now?: number | Date): Promise<UpstreamCredentialCacheResult<T>> {
    const at = now === undefined ? this.clock() : typeof now === 'number' ? now : now.getTime();
    const done = this.completed.get(key);
    if (done) {
      if (this.reusable(done, at)) return { value: done.value, reused: true };
      this.completed.delete(key);
    }
    const running = this.inFlight.get(key);
    if (running) return { value: await running.promise, reused: false };

    const entry: InFlight<T> = { promise: undefined as unknown as Promise<T>, forgotten: [] };
    // Registered before fetch() runs: a fetch that throws synchronously must still be unregistered.
    this.inFlight.set(key, entry);
    entry.promise = (async () => {
      try {
        const value = await fetch();
        if (this.options.enabled && !entry.forgotten.some((p) => p(key, value))) this.store(key, { value, fetchedAt: at }, now === undefined ? this.clock() : at);
        return value;
      } finally {
        if (this.inFlight.get(key) === entry) this.inFlight.delete(key);
      }
    })();
    return { value: await entry.promise, reused: false };
  }

  /**
   * Drops every completed value whose key and value satisfy the predicate; returns how
   * many were dropped. Fetches in flight are detached (later callers fetch anew) and
   * their results are kept for reuse only if the predicate does not match them.
   */
  forget(predicate: ForgetPredicate<T>): number {
    let dropped = 0;
    for (const [key, e] of this.completed) {
      if (predicate(key, e.value)) {
        this.completed.delete(key);
        dropped++;
      }
    }
    for (const [key, f] of this.inFlight) {
      f.forgotten.push(predicate);
      this.inFlight.delete(key);
    }
    return dropped;
  }

  /** Completed values held (reusable or not yet dropped). */
  get size(): number {
    return this.completed.size;
  }

  /** Drops everything completed (in-flight fetches still complete for their waiters). */
  clear(): void {
    this.completed.clear();
  }

  private reusable(e: Completed<T>, now: number): boolean {
    return (
      this.options.enabled &&
      now - e.fetchedAt < this.options.maxReuseSeconds * 1000 &&
      e.value.expiration.getTime() - now >= this.options.minRemainingSeconds * 1000
    );
  }

  private store(key: string, e: Completed<T>, now: number): void {
    if (!this.reusable(e, now)) return;
    this.completed.delete(key);
    while (this.completed.size >= this.maxEntries) {
      const oldest = this.completed.keys().next();
      if (oldest.done) break;
      this.completed.delete(oldest.value);
    }
    this.completed.set(key, e);
  }
}
