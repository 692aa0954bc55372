import { Injectable } from '@nestjs/common';
import { RefreshAheadCache } from '../../common/cache/refresh-ahead-cache.js';
import type { PolicyDocument } from '../../common/policy/policy-document.js';

/** An entry is refreshed in the background from this age… */
export const POLICY_CACHE_REFRESH_MS = 2_000;
/** …and never used past this one: a policy change made on another instance applies within it. */
export const POLICY_CACHE_MAX_AGE_MS = 5_000;
/** Background refreshes wait at most this long to share their queries. */
const POLICY_REFRESH_BATCH_MS = 100;

/**
 * The parsed identity policies of users and roles, for authorization on every
 * request. A policy change made on another instance applies everywhere within
 * POLICY_CACHE_MAX_AGE_MS (IAM itself is eventually consistent); on this
 * instance every change to policies, attachments or group memberships clears
 * the cache once its transaction commits (the repositories that make those
 * changes call `changed()` through `PrismaService.afterCommit`). Revocation of
 * credentials does not depend on this cache: keys
 * and sessions have their own ≤ 800 ms bound. Longer than the credential
 * caches because a busy principal costs a reload per refresh period, and
 * loading a user's policies takes several queries.
 */
@Injectable()
export class IdentityPolicyCache {
  private readonly cache = new RefreshAheadCache<PolicyDocument[]>(POLICY_CACHE_REFRESH_MS, POLICY_CACHE_MAX_AGE_MS, 20_000);

  get(key: string, load: () => Promise<PolicyDocument[]>): Promise<PolicyDocument[]> {
    return this.cache.get(key, load) as Promise<PolicyDocument[]>;
  }

  /** Background refreshes go through `loadMany`, many principals per call (RefreshAheadCache.refreshInBatches). */
  refreshInBatches(loadMany: (keys: string[]) => Promise<Map<string, PolicyDocument[] | null>>): void {
    this.cache.refreshInBatches(loadMany, POLICY_REFRESH_BATCH_MS);
  }

  changed(): void {
    this.cache.clear();
  }
}
