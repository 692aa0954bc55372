import DataLoader from 'dataloader';
import type { Group, PrincipalType, Role, User } from '../../generated/prisma/client.js';
import type { AccessKeyMetaRow, GraphReadRepository } from './graph-read.repository.js';

/** Key for loaders spanning accounts: the account ID and the item, never the item alone. */
type Scoped = { accountId: string; key: string };
const cacheKeyFn = (k: Scoped) => `${k.accountId}\u0000${k.key}`;

/** Groups keys by account and runs one batch per account. */
function scopedLoader<V>(batch: (accountId: string, keys: string[]) => Promise<Map<string, V>>, empty: V): DataLoader<Scoped, V, string> {
  return new DataLoader<Scoped, V, string>(
    async (keys) => {
      const byAccount = new Map<string, string[]>();
      for (const k of keys) {
        const list = byAccount.get(k.accountId);
        if (list) list.push(k.key);
        else byAccount.set(k.accountId, [k.key]);
      }
      const results = new Map<string, V>();
      await Promise.all(
        [...byAccount].map(async ([accountId, list]) => {
          const found = await batch(accountId, [...new Set(list)]);
          for (const [key, v] of found) results.set(cacheKeyFn({ accountId, key }), v);
        }),
      );
      return keys.map((k) => results.get(cacheKeyFn(k)) ?? empty);
    },
    { cacheKeyFn, maxBatchSize: 500 },
  );
}

function grouped<T>(rows: T[], keyOf: (r: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const r of rows) {
    const k = keyOf(r);
    const list = m.get(k);
    if (list) list.push(r);
    else m.set(k, [r]);
  }
  return m;
}

/**
 * One set per GraphQL request (kept on the context): relations of many parents
 * are loaded in one query each, and each row at most once per request.
 */
export class GraphLoaders {
  constructor(private readonly repo: GraphReadRepository) {}

  readonly userById = scopedLoader<User | null>(async (a, ids) => new Map((await this.repo.usersByIds(a, ids)).map((u) => [u.id, u])), null);

  /** IAM users by name (case-insensitive, as IAM names are). */
  readonly userByName = scopedLoader<User | null>(
    async (a, names) => new Map((await this.repo.usersByNames(a, names.map((n) => n.toLowerCase()))).map((u) => [u.nameLower!, u])),
    null,
  );

  readonly roleByName = scopedLoader<Role | null>(
    async (a, names) => new Map((await this.repo.rolesByNames(a, names.map((n) => n.toLowerCase()))).map((r) => [r.nameLower, r])),
    null,
  );

  readonly groupsOfUser = scopedLoader<Group[]>(
    async (a, ids) => new Map([...grouped(await this.repo.groupsOfUsers(a, ids), (r) => r.userId)].map(([k, v]) => [k, v.map((r) => r.group)])),
    [],
  );

  readonly keysOfUser = scopedLoader<AccessKeyMetaRow[]>(async (a, ids) => grouped(await this.repo.keysOfUsers(a, ids), (k) => k.userId), []);

  private readonly attachmentLoaders = new Map<PrincipalType, DataLoader<Scoped, string[], string>>();

  /** Managed policy ARNs attached to users, groups or roles. */
  attachedPolicies(type: PrincipalType): DataLoader<Scoped, string[], string> {
    let l = this.attachmentLoaders.get(type);
    if (!l) {
      l = scopedLoader<string[]>(
        async (a, ids) => new Map([...grouped(await this.repo.attachments(a, type, ids), (r) => r.principalId)].map(([k, v]) => [k, v.map((r) => r.policyArn)])),
        [],
      );
      this.attachmentLoaders.set(type, l);
    }
    return l;
  }

  private readonly roots = new Map<string, Promise<User | null>>();

  rootUser(accountId: string): Promise<User | null> {
    let p = this.roots.get(accountId);
    if (!p) {
      p = this.repo.rootUser(accountId);
      this.roots.set(accountId, p);
    }
    return p;
  }
}
