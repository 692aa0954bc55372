/**
 * A short-lived in-memory cache for credentials looked up on every signed
 * request. An entry read from the database at time t is served until
 * t + maxAgeMs at most and refreshed in the background from t + refreshMs, so
 * a change made on any instance (a key deactivated, a session revoked) is seen
 * everywhere within maxAgeMs without cross-instance messaging, and the hot
 * path never waits on the database for a known entry. Loads of one id are
 * shared (no stampede when an entry ages out under load). Misses are not
 * remembered: the table of unknown ids would be the attacker's to fill.
 */
export class RefreshAheadCache<T> {
  private readonly entries = new Map<string, { value: T; fetchedAt: number }>();
  private readonly loading = new Map<string, Promise<T | null>>();
  /** Bumped by clear(): a load that started before it does not store its (possibly stale) result. */
  private epoch = 0;

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
    if (now - e.fetchedAt >= this.refreshMs) void this.fetch(id, load).catch(() => undefined);
    return e.value;
  }

  private fetch(id: string, load: (id: string) => Promise<T | null>): Promise<T | null> {
    let p = this.loading.get(id);
    if (!p) {
      const fetchedAt = Date.now();
      const epoch = this.epoch;
      p = load(id).then(
        (value) => {
          if (epoch !== this.epoch) {
            // Cleared meanwhile: hand the value to this load's waiters, keep nothing.
          } else if (value !== null) {
            if (this.entries.size >= this.maxEntries && !this.entries.has(id)) this.entries.delete(this.entries.keys().next().value!);
            this.entries.set(id, { value, fetchedAt });
          } else this.entries.delete(id);
          if (this.loading.get(id) === p) this.loading.delete(id);
          return value;
        },
        (err: unknown) => {
          if (this.loading.get(id) === p) this.loading.delete(id);
          throw err;
        },
      );
      this.loading.set(id, p);
    }
    return p;
  }

  invalidate(id: string): void {
    this.entries.delete(id);
  }

  /** Forgets everything, including loads in flight. */
  clear(): void {
    this.epoch++;
    this.entries.clear();
    this.loading.clear();
  }
}
