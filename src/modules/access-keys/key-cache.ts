import { Injectable } from '@nestjs/common';
import type { AuthContext } from '../../common/auth/auth-context.js';
import { RefreshAheadCache } from '../../common/cache/refresh-ahead-cache.js';

/** After this age an entry is refreshed in the background while still served. */
export const KEY_CACHE_REFRESH_MS = 400;
/** After this age an entry is never used: bounds revocation latency on every instance. */
export const KEY_CACHE_MAX_AGE_MS = 800;
const MAX_ENTRIES = 10_000;
/** Background refreshes wait at most this long to share one query (well inside MAX_AGE - REFRESH). */
export const KEY_REFRESH_BATCH_MS = 50;

export interface CachedKey {
  accountId: string;
  userId: string;
  status: 'Active' | 'Inactive';
  /** Decrypted secret: kept in memory only, for at most KEY_CACHE_MAX_AGE_MS. */
  secret: string;
  /** The box `secret` came from: a refresh that reads the same box reuses `secret` instead of decrypting again. */
  secretBox: string;
  principal: AuthContext['principal'];
  tags: Record<string, string>;
  /** What a request signed with this key authenticates as: built once per load, frozen, shared by its requests. */
  context: Readonly<AuthContext>;
}

/**
 * Access keys for SigV4 verification (see RefreshAheadCache): a key
 * deactivated or deleted on any instance stops working everywhere within
 * KEY_CACHE_MAX_AGE_MS; the instance that changes a key drops its entry at once.
 */
@Injectable()
export class KeyCache extends RefreshAheadCache<CachedKey> {
  constructor() {
    super(KEY_CACHE_REFRESH_MS, KEY_CACHE_MAX_AGE_MS, MAX_ENTRIES);
  }
}
