import { Injectable } from '@nestjs/common';
import type { AuthContext } from '../../common/auth/auth-context.js';

/** After this age an entry is refreshed in the background while still served. */
export const KEY_CACHE_REFRESH_MS = 400;
/** After this age an entry is never used: bounds revocation latency on every instance. */
export const KEY_CACHE_MAX_AGE_MS = 800;
const MAX_ENTRIES = 10_000;

export interface CachedKey {
  accountId: string;
  userId: string;
  status: 'Active' | 'Inactive';
  /** Decrypted secret: kept in memory only, for at most KEY_CACHE_MAX_AGE_MS. */
  secret: string;
  principal: AuthContext['principal'];
  tags: Record<string, string>;
}

interface Entry {
  key: CachedKey | null;
  fetchedAt: number;
}

/**
 * A short-lived in-memory cache of access keys for SigV4 verification. An
 * entry read from the database at time t is used until t + 800 ms at most,
 * and refreshed in the background from t + 400 ms, so a key deactivated or
 * deleted on any instance stops working everywhere within a second without
 * cross-instance messaging, and the hot path never waits on the database for
 * a known key. Loads of one key are shared (no stampede when an entry ages
 * out under load); the instance that changes a key drops its entry at once.
 */
@Injectable()
export class KeyCache {
  private readonly entries = new Map<string, Entry>();
  private readonly loading = new Map<string, Promise<CachedKey | null>>();

  async get(id: string, load: (id: string) => Promise<CachedKey | null>, now = Date.now()): Promise<CachedKey | null> {
    const e = this.entries.get(id);
    if (e && now - e.fetchedAt < KEY_CACHE_MAX_AGE_MS) {
      if (now - e.fetchedAt >= KEY_CACHE_REFRESH_MS) void this.fetch(id, load).catch(() => undefined);
      return e.key;
    }
    return this.fetch(id, load);
  }

  private fetch(id: string, load: (id: string) => Promise<CachedKey | null>): Promise<CachedKey | null> {
    let p = this.loading.get(id);
    if (!p) {
      const fetchedAt = Date.now();
      p = load(id).then(
        (key) => {
          // Unknown keys are not remembered: the table of misses would be the attacker's to fill.
          if (key) {
            if (this.entries.size >= MAX_ENTRIES && !this.entries.has(id)) this.entries.delete(this.entries.keys().next().value!);
            this.entries.set(id, { key, fetchedAt });
          } else this.entries.delete(id);
          this.loading.delete(id);
          return key;
        },
        (e: unknown) => {
          this.loading.delete(id);
          throw e;
        },
      );
      this.loading.set(id, p);
    }
    return p;
  }

  invalidate(id: string): void {
    this.entries.delete(id);
  }
}
