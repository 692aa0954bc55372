/**
 * A short-lived in-memory cache for credentials looked up on every signed
 * request. An entry read from the database at time t is served until
 * t + maxAgeMs at most and refreshed in the background from t + refreshMs, so
 * a change made on any instance (a key deactivated, a session revoked) is seen
 * everywhere within maxAgeMs without cross-instance messaging, and the hot
 * path never waits on the database for a known entry. Loads of one id are
 * shared (no stampede when an entry ages out under load). Misses are not
 * remembered: the table of unknown ids would be the attacker's to fill.
 *
 * With `refreshInBatches`, background refreshes are gathered for a few
 * milliseconds and made in one load of many ids: with many principals in use
 * (many tenants issuing at once), refreshing each entry by its own query
 * would cost a query per entry per refresh period on every instance. Each such
 * load also takes the entries used since their last load that are past half
 * their refresh period, so the entries in use fall into step and are refreshed
 * by one or two loads per refresh period, however many there are (rather than
 * one load per batch window whenever their fetch times are spread out).
 */
export class RefreshAheadCache<T> {
  private readonly entries = new Map<string, { value: T; fetchedAt: number; usedAt: number }>();
  private readonly loading = new Map<string, Promise<T | null>>();
  /** Bumped by clear(): a load that started before it does not store its (possibly stale) result. */
  private epoch = 0;
  private batch: { loadMany: (ids: string[]) => Promise<Map<string, T | null>>; delayMs: number } | undefined;
  /** Ids due for a background refresh, waiting for the next batch. */
  private readonly due = new Set<string>();
  private flushTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly refreshMs: number,
    private readonly maxAgeMs: number,
    private readonly maxEntries = 10_000,
  ) {}

  async get(id: string, load: (id: string) => Promise<T | null>, now = Date.now()): Promise<T | null> {
    return this.peek(id, load, now) ?? this.fetch(id, load);
  }

  /**
   * The entry when one is fresh enough to serve, without waiting (and starting its background refresh
   * when due); undefined when the caller must `get` it. Lets the hot path skip a promise per request.
   */
  peek(id: string, load: (id: string) => Promise<T | null>, now = Date.now()): T | undefined {
    const e = this.entries.get(id);
    if (e === undefined || now - e.fetchedAt >= this.maxAgeMs) return undefined;
    e.usedAt = now;
    if (now - e.fetchedAt >= this.refreshMs) this.refreshLater(id, load);
    return e.value;
  }

  /**
   * Background refreshes from now on go through `loadMany` (a map from id to value; an id it leaves
   * out no longer exists), at most `delayMs` after they fall due, many ids per call. `delayMs` plus the
   * load's latency must stay well under maxAgeMs - refreshMs, or entries expire before their refresh
   * lands and requests wait for a load of their own.
   */
  refreshInBatches(loadMany: (ids: string[]) => Promise<Map<string, T | null>>, delayMs: number): void {
    this.batch = { loadMany, delayMs };
  }

  private refreshLater(id: string, load: (id: string) => Promise<T | null>): void {
    if (this.loading.has(id)) return;
    if (!this.batch) {
      void this.fetch(id, load).catch(() => undefined);
      return;
    }
    this.due.add(id);
    this.flushTimer ??= setTimeout(() => this.flush(), this.batch.delayMs).unref();
  }

  /**
   * One load for every id due, and for the entries in use that are past half their refresh period
   * (they would fall due before the next load); each id's waiters share it, as with `fetch`.
   */
  private flush(): void {
    this.flushTimer = undefined;
    const wanted = new Set(this.due);
    this.due.clear();
    if (!wanted.size || !this.batch) return;
    const early = Date.now() - this.refreshMs / 2;
    for (const [id, e] of this.entries) if (e.fetchedAt <= early && e.usedAt > e.fetchedAt) wanted.add(id);
    const ids = [...wanted].filter((id) => !this.loading.has(id));
    if (!ids.length) return;
    const all = this.batch.loadMany(ids);
    for (const id of ids) this.track(id, all.then((values) => values.get(id) ?? null)).catch(() => undefined);
  }

  private store(id: string, value: T | null, fetchedAt: number): void {
    if (value === null) {
      this.entries.delete(id);
      return;
    }
    if (this.entries.size >= this.maxEntries && !this.entries.has(id)) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(id, { value, fetchedAt, usedAt: 0 });
  }

  private fetch(id: string, load: (id: string) => Promise<T | null>): Promise<T | null> {
    return this.loading.get(id) ?? this.track(id, load(id));
  }

  /**
   * Registers a load of `id` in flight (its waiters share it) and stores its result, unless the cache
   * was cleared meanwhile: then the value goes to this load's waiters only. The time it started
   * counts as the entry's fetch time.
   */
  private track(id: string, loading: Promise<T | null>): Promise<T | null> {
    const fetchedAt = Date.now();
    const epoch = this.epoch;
    const p: Promise<T | null> = loading.then(
      (value) => {
        if (epoch === this.epoch) this.store(id, value, fetchedAt);
        if (this.loading.get(id) === p) this.loading.delete(id);
        return value;
      },
      (err: unknown) => {
        if (this.loading.get(id) === p) this.loading.delete(id);
        throw err;
      },
    );
    this.loading.set(id, p);
    return p;
  }

  /**
   * The value stored for `id` whatever its age, without counting a use or starting a refresh: for a
   * loader that can reuse part of the previous value (never for serving a request).
   */
  previous(id: string): T | undefined {
    return this.entries.get(id)?.value;
  }

  invalidate(id: string): void {
    this.entries.delete(id);
  }

  /** Forgets everything, including loads in flight. */
  clear(): void {
    this.epoch++;
    this.entries.clear();
    this.loading.clear();
    this.due.clear();
  }
}
