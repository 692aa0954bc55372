import { Injectable } from '@nestjs/common';
import { RefreshAheadCache } from '../../common/cache/refresh-ahead-cache.js';
import type { PolicyDocument } from '../../common/policy/policy-document.js';

/**
 * The parsed identity policies of users and roles, for authorization on every
 * request. Same bounds as the credential caches: an entry is used for at most
 * 800 ms (refreshed in the background from 400 ms), so a policy change made on
 * another instance applies everywhere within a second; on this instance every
 * change to policies, attachments or group memberships clears the cache at
 * once (the repositories that make those changes call `changed()`).
 */
@Injectable()
export class IdentityPolicyCache {
  private readonly cache = new RefreshAheadCache<PolicyDocument[]>(400, 800, 20_000);

  get(key: string, load: () => Promise<PolicyDocument[]>): Promise<PolicyDocument[]> {
    return this.cache.get(key, load) as Promise<PolicyDocument[]>;
  }

  changed(): void {
    this.cache.clear();
  }
}
