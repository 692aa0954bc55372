import { Injectable } from '@nestjs/common';
import type { AuthContext } from '../../common/auth/auth-context.js';

/** How long a verified key's state may be reused: bounds revocation latency on every instance. */
export const KEY_CACHE_TTL_MS = 500;
const MAX_ENTRIES = 10_000;

export interface CachedKey {
  accountId: string;
  userId: string;
  status: 'Active' | 'Inactive';
  /** Decrypted secret: kept in memory only, for at most KEY_CACHE_TTL_MS. */
  secret: string;
  principal: AuthContext['principal'];
  tags: Record<string, string>;
  expiresAt: number;
}

/**
 * A short-lived in-memory cache of access keys for SigV4 verification. Entries
 * live 500 ms, so a key deactivated or deleted on any instance stops working
 * everywhere within that time without cross-instance messaging; the instance
 * that made the change drops its entry at once.
 */
@Injectable()
export class KeyCache {
  private readonly entries = new Map<string, CachedKey>();

  get(id: string, now = Date.now()): CachedKey | undefined {
    const e = this.entries.get(id);
    if (e && e.expiresAt > now) return e;
    if (e) this.entries.delete(id);
    return undefined;
  }

  set(id: string, v: Omit<CachedKey, 'expiresAt'>, now = Date.now()): void {
    if (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(id, { ...v, expiresAt: now + KEY_CACHE_TTL_MS });
  }

  invalidate(id: string): void {
    this.entries.delete(id);
  }
}
