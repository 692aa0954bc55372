import { Injectable } from '@nestjs/common';
import { roleArn } from '../../common/arn.js';
import { DomainError } from '../../common/errors/domain-error.js';
import { newUniqueId, UNIQUE_ID_RE } from '../../common/ids.js';
import { matchRefs, refCandidates, refKey, type AccountRef } from '../../db/account-refs.js';
import { isValidIamName } from '../../common/validation/iam-names.js';
import type { Prisma, Role } from '../../generated/prisma/client.js';
import { RefreshAheadCache } from '../../common/cache/refresh-ahead-cache.js';
import { POLICY_CACHE_MAX_AGE_MS, POLICY_CACHE_REFRESH_MS } from '../policies/identity-policy-cache.js';
import { PrismaService, type Db, type Tx } from '../../db/prisma.service.js';
import { isUniqueViolation } from '../../db/prisma-errors.js';
import type { ListPage } from '../users/users.repository.js';

export type RoleRow = Role;

/** The role claim mapping as stored (validated by the service). */
export interface ClaimMapping {
  sessionTags?: Record<string, string>;
  sourceIdentity?: string;
}

export interface NewRole {
  name: string;
  path: string;
  description?: string | null;
  maxSessionDuration: number;
  trustPolicy: string;
  claimMapping: ClaimMapping;
  awsRoleArn?: string | null;
  tags: Record<string, string>;
}

export interface RolePatch {
  description?: string | null;
  maxSessionDuration?: number;
  trustPolicy?: string;
  claimMapping?: ClaimMapping;
  awsRoleArn?: string | null;
}

/** Background refreshes of the issuance cache wait at most this long to share one query. */
const ROLE_REFRESH_BATCH_MS = 50;

/** IAM roles. Every method is scoped by account. */
@Injectable()
export class RolesRepository {
  /**
   * Roles by ARN for STS issuance, the hot path, with the identity policies'
   * bounds (a trust-policy change made on another instance applies within
   * POLICY_CACHE_MAX_AGE_MS); changes made here clear it at once.
   */
  private readonly issuanceCache = new RefreshAheadCache<RoleRow>(POLICY_CACHE_REFRESH_MS, POLICY_CACHE_MAX_AGE_MS, 10_000);

  constructor(private readonly prisma: PrismaService) {
    this.issuanceCache.refreshInBatches((keys) => this.findManyForIssuance(keys), ROLE_REFRESH_BATCH_MS);
  }

  /** The issuance cache's batched background refresh: roles by `refKey(accountId, arn)`, in one query. */
  private async findManyForIssuance(keys: string[]): Promise<Map<string, RoleRow | null>> {
    const refs = keys.map((k) => ({ accountId: k.slice(0, k.indexOf('|')), id: k.slice(k.indexOf('|') + 1) }));
    const found = matchRefs(refs, await this.prisma.role.findMany({ where: refCandidates(refs, 'arn') }), (r) => r.arn);
    return new Map(keys.map((k) => [k, found.get(k) ?? null]));
  }

  /** findByArn through the issuance cache. */
  findByArnForIssuance(accountId: string, arn: string): Promise<RoleRow | null> {
    return this.issuanceCache.get(refKey(accountId, arn), () => this.findByArn(accountId, arn));
  }

  /**
   * Role names are unique per account ignoring case, as in IAM. A string that
   * cannot be a role name (too long, NUL bytes…) names no role: it never
   * reaches the database.
   */
  async findByName(accountId: string, name: string, db: Db = this.prisma): Promise<RoleRow | null> {
    if (!isValidIamName(name)) return null;
    return db.role.findUnique({ where: { accountId_nameLower: { accountId, nameLower: name.toLowerCase() } } });
  }

  /** Exact ARN match (path and name case as stored). */
  async findByArn(accountId: string, arn: string): Promise<RoleRow | null> {
    if (typeof arn !== 'string' || arn.length > 2048 || arn.includes('\0')) return null;
    return this.prisma.role.findFirst({ where: { accountId, arn } });
  }

  async findById(accountId: string, id: string): Promise<RoleRow | null> {
    if (!UNIQUE_ID_RE.test(id)) return null;
    return this.prisma.role.findFirst({ where: { accountId, id } });
  }

  /** `findById` for many roles of many accounts in one query, by `refKey(accountId, id)`; unknown ones are left out. */
  async findManyByIds(refs: AccountRef[]): Promise<Map<string, RoleRow>> {
    if (!refs.length) return new Map();
    return matchRefs(refs, await this.prisma.role.findMany({ where: refCandidates(refs, 'id') }), (r) => r.id);
  }

  async list(accountId: string, opts: { pathPrefix?: string; marker?: string; maxItems: number }): Promise<ListPage<RoleRow>> {
    const rows = await this.prisma.role.findMany({
      where: {
        accountId,
        ...(opts.pathPrefix ? { path: { startsWith: opts.pathPrefix } } : {}),
        ...(opts.marker ? { nameLower: { gt: opts.marker } } : {}),
      },
      orderBy: { nameLower: 'asc' },
      take: opts.maxItems + 1,
    });
    const more = rows.length > opts.maxItems;
    const items = more ? rows.slice(0, opts.maxItems) : rows;
    return { items, marker: more ? items[items.length - 1]!.nameLower : undefined };
  }

  async create(tx: Tx, accountId: string, d: NewRole): Promise<RoleRow> {
    this.prisma.afterCommit(tx, () => this.issuanceCache.clear());
    try {
      return await tx.role.create({
        data: {
          id: newUniqueId('AROA'),
          accountId,
          name: d.name,
          nameLower: d.name.toLowerCase(),
          path: d.path,
          arn: roleArn(accountId, d.path, d.name),
          description: d.description ?? null,
          maxSessionDuration: d.maxSessionDuration,
          trustPolicy: d.trustPolicy,
          claimMapping: d.claimMapping as Prisma.InputJsonObject,
          awsRoleArn: d.awsRoleArn ?? null,
          tags: d.tags,
        },
      });
    } catch (e) {
      if (isUniqueViolation(e)) throw DomainError.alreadyExists(`Role with name ${d.name}`);
      throw e;
    }
  }

  async update(tx: Tx, accountId: string, id: string, p: RolePatch): Promise<RoleRow> {
    this.prisma.afterCommit(tx, () => this.issuanceCache.clear());
    const res = await tx.role.updateManyAndReturn({
      where: { accountId, id },
      data: {
        ...(p.description !== undefined ? { description: p.description } : {}),
        ...(p.maxSessionDuration !== undefined ? { maxSessionDuration: p.maxSessionDuration } : {}),
        ...(p.trustPolicy !== undefined ? { trustPolicy: p.trustPolicy } : {}),
        ...(p.claimMapping !== undefined ? { claimMapping: p.claimMapping as Prisma.InputJsonObject } : {}),
        ...(p.awsRoleArn !== undefined ? { awsRoleArn: p.awsRoleArn } : {}),
      },
    });
    if (!res[0]) throw DomainError.noSuchEntity('The role');
    return res[0];
  }

  async delete(tx: Tx, accountId: string, id: string): Promise<void> {
    this.prisma.afterCommit(tx, () => this.issuanceCache.clear());
    const res = await tx.role.deleteMany({ where: { accountId, id } });
    if (res.count === 0) throw DomainError.noSuchEntity('The role');
  }
}
