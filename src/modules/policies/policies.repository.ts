import { Injectable } from '@nestjs/common';
import { DomainError } from '../../common/errors/domain-error.js';
import { newUniqueId } from '../../common/ids.js';
import { policyArn } from '../../common/arn.js';
import type { InlinePolicy, Policy, PrincipalType } from '../../generated/prisma/client.js';
import { matchRefs, refCandidates, refKey, type AccountRef } from '../../db/account-refs.js';
import { PrismaService, type Db, type Tx } from '../../db/prisma.service.js';
import { isUniqueViolation } from '../../db/prisma-errors.js';
import { IdentityPolicyCache } from './identity-policy-cache.js';

export type PolicyRow = Policy;
export type InlinePolicyRow = InlinePolicy;
export type { PrincipalType };

/** The policies that apply to a principal: managed policy ARNs (documents of customer ones in `customer`) and inline documents. */
export interface PrincipalPolicies {
  arns: string[];
  inline: string[];
  customer: Map<string, string>;
}

/** Customer managed policies, inline policies and attachments. Scoped by account. */
@Injectable()
export class PoliciesRepository {
  constructor(
    private readonly prisma: PrismaService,
    private readonly cache: IdentityPolicyCache,
  ) {}

  async createManaged(tx: Tx, accountId: string, d: { name: string; path: string; description?: string; document: string }): Promise<PolicyRow> {
    try {
      return await tx.policy.create({
        data: {
          id: newUniqueId('ANPA'),
          accountId,
          name: d.name,
          nameLower: d.name.toLowerCase(),
          path: d.path,
          arn: policyArn(accountId, d.path, d.name),
          description: d.description ?? null,
          document: d.document,
        },
      });
    } catch (e) {
      if (isUniqueViolation(e)) throw DomainError.alreadyExists(`A policy called ${d.name}`);
      throw e;
    }
  }

  findManagedByName(accountId: string, name: string, db: Db = this.prisma): Promise<PolicyRow | null> {
    return db.policy.findUnique({ where: { accountId_nameLower: { accountId, nameLower: name.toLowerCase() } } });
  }

  findManagedByArn(accountId: string, arn: string, db: Db = this.prisma): Promise<PolicyRow | null> {
    return db.policy.findFirst({ where: { accountId, arn } });
  }

  /** The documents of many customer managed policies of many accounts (`id`: the ARN) in one query, by `refKey(accountId, arn)`; unknown ones are left out. */
  async managedDocumentsByArns(refs: AccountRef[]): Promise<Map<string, string>> {
    if (!refs.length) return new Map();
    const rows = await this.prisma.policy.findMany({ where: refCandidates(refs, 'arn'), select: { accountId: true, arn: true, document: true } });
    return new Map([...matchRefs(refs, rows, (p) => p.arn)].map(([k, p]) => [k, p.document]));
  }

  listManaged(accountId: string): Promise<PolicyRow[]> {
    return this.prisma.policy.findMany({ where: { accountId }, orderBy: { nameLower: 'asc' } });
  }

  async updateManagedDocument(tx: Tx, accountId: string, id: string, document: string): Promise<void> {
    this.prisma.afterCommit(tx, () => this.cache.changed());
    await tx.policy.updateMany({ where: { accountId, id }, data: { document } });
  }

  async deleteManaged(tx: Tx, accountId: string, id: string): Promise<void> {
    this.prisma.afterCommit(tx, () => this.cache.changed());
    await tx.policy.deleteMany({ where: { accountId, id } });
  }

  countAttachments(accountId: string, arn: string, db: Db = this.prisma): Promise<number> {
    return db.policyAttachment.count({ where: { accountId, policyArn: arn } });
  }

  /** Attachments per policy ARN in the account, in one query (policies attached nowhere are left out). */
  async attachmentCounts(accountId: string): Promise<Map<string, number>> {
    const rows = await this.prisma.policyAttachment.groupBy({ by: ['policyArn'], where: { accountId }, _count: { _all: true } });
    return new Map(rows.map((r) => [r.policyArn, r._count._all]));
  }

  /** Idempotent, like AttachUserPolicy. */
  async attach(tx: Tx, accountId: string, principalType: PrincipalType, principalId: string, arn: string): Promise<void> {
    this.prisma.afterCommit(tx, () => this.cache.changed());
    await tx.policyAttachment.upsert({
      where: { principalType_principalId_policyArn: { principalType, principalId, policyArn: arn } },
      create: { accountId, principalType, principalId, policyArn: arn },
      update: {},
    });
  }

  async detach(tx: Tx, accountId: string, principalType: PrincipalType, principalId: string, arn: string): Promise<boolean> {
    this.prisma.afterCommit(tx, () => this.cache.changed());
    const r = await tx.policyAttachment.deleteMany({ where: { accountId, principalType, principalId, policyArn: arn } });
    return r.count > 0;
  }

  async listAttached(accountId: string, principalType: PrincipalType, principalId: string, db: Db = this.prisma): Promise<string[]> {
    const rows = await db.policyAttachment.findMany({
      where: { accountId, principalType, principalId },
      orderBy: { createdAt: 'asc' },
      select: { policyArn: true },
    });
    return rows.map((r) => r.policyArn);
  }

  async detachAll(tx: Tx, accountId: string, principalType: PrincipalType, principalId: string): Promise<void> {
    this.prisma.afterCommit(tx, () => this.cache.changed());
    await tx.policyAttachment.deleteMany({ where: { accountId, principalType, principalId } });
    await tx.inlinePolicy.deleteMany({ where: { accountId, principalType, principalId } });
  }

  async putInline(tx: Tx, accountId: string, principalType: PrincipalType, principalId: string, name: string, document: string): Promise<void> {
    this.prisma.afterCommit(tx, () => this.cache.changed());
    await tx.inlinePolicy.upsert({
      where: { principalType_principalId_name: { principalType, principalId, name } },
      create: { accountId, principalType, principalId, name, document },
      update: { document },
    });
  }

  getInline(accountId: string, principalType: PrincipalType, principalId: string, name: string): Promise<InlinePolicyRow | null> {
    return this.prisma.inlinePolicy.findFirst({ where: { accountId, principalType, principalId, name } });
  }

  async deleteInline(tx: Tx, accountId: string, principalType: PrincipalType, principalId: string, name: string): Promise<boolean> {
    this.prisma.afterCommit(tx, () => this.cache.changed());
    return (await tx.inlinePolicy.deleteMany({ where: { accountId, principalType, principalId, name } })).count > 0;
  }

  countInline(accountId: string, principalType: PrincipalType, principalId: string, db: Db = this.prisma): Promise<number> {
    return db.inlinePolicy.count({ where: { accountId, principalType, principalId } });
  }

  listInline(accountId: string, principalType: PrincipalType, principalId: string): Promise<InlinePolicyRow[]> {
    return this.prisma.inlinePolicy.findMany({ where: { accountId, principalType, principalId }, orderBy: { name: 'asc' } });
  }

  /**
   * Everything that applies to a user: managed policies attached to the user
   * or its groups (as ARNs, resolved by the caller) and inline documents.
   */
  async forUser(accountId: string, userId: string): Promise<PrincipalPolicies> {
    return (await this.forPrincipals([{ accountId, kind: 'USER', id: userId }]))[0]!;
  }

  /** Everything that applies to a role (its sessions): its attached managed policies and its inline documents. */
  async forRole(accountId: string, roleId: string): Promise<PrincipalPolicies> {
    return (await this.forPrincipals([{ accountId, kind: 'ROLE', id: roleId }]))[0]!;
  }

  /**
   * `forUser` / `forRole` for any number of principals across accounts, in four queries (one per principal
   * or one per batch of the identity policy cache's refresh), each row matched back to its own account and
   * principal.
   */
  async forPrincipals(principals: { accountId: string; kind: 'USER' | 'ROLE'; id: string }[]): Promise<PrincipalPolicies[]> {
    if (!principals.length) return [];
    const accountIds = [...new Set(principals.map((p) => p.accountId))];
    const userIds = principals.filter((p) => p.kind === 'USER').map((p) => p.id);
    const groups = userIds.length
      ? await this.prisma.groupMembership.findMany({ where: { accountId: { in: accountIds }, userId: { in: userIds } }, select: { accountId: true, userId: true, groupId: true } })
      : [];
    // Rows indexed once by their owner (account, type, id): a refresh batch can hold thousands of principals.
    const owner = (accountId: string, type: PrincipalType, id: string) => `${accountId}|${type}|${id}`;
    const groupsOf = byKey(groups, (g) => owner(g.accountId, 'USER', g.userId), (g) => owner(g.accountId, 'GROUP', g.groupId));
    const ownerIds = [...new Set([...principals.map((p) => p.id), ...groups.map((g) => g.groupId)])];
    const where = { accountId: { in: accountIds }, principalId: { in: ownerIds } };
    const [attached, inline] = await Promise.all([
      this.prisma.policyAttachment.findMany({ where, select: { accountId: true, principalType: true, principalId: true, policyArn: true } }),
      this.prisma.inlinePolicy.findMany({ where, select: { accountId: true, principalType: true, principalId: true, document: true } }),
    ]);
    const customerDoc = await this.managedDocumentsByArns(attached.filter((a) => !a.policyArn.startsWith('arn:aws:iam::aws:')).map((a) => ({ accountId: a.accountId, id: a.policyArn })));
    const arnsOf = byKey(attached, (a) => owner(a.accountId, a.principalType, a.principalId), (a) => a.policyArn);
    const inlineOf = byKey(inline, (d) => owner(d.accountId, d.principalType, d.principalId), (d) => d.document);
    return principals.map((p) => {
      const self = owner(p.accountId, p.kind, p.id);
      const owners = [self, ...(groupsOf.get(self) ?? [])];
      const arns = [...new Set(owners.flatMap((o) => arnsOf.get(o) ?? []))];
      const customerOfP = new Map<string, string>();
      for (const arn of arns) {
        const doc = customerDoc.get(refKey(p.accountId, arn));
        if (doc !== undefined) customerOfP.set(arn, doc);
      }
      return { arns, inline: owners.flatMap((o) => inlineOf.get(o) ?? []), customer: customerOfP };
    });
  }
}

/** `rows` grouped by `key`, each group's values in row order. */
function byKey<R, V>(rows: R[], key: (r: R) => string, value: (r: R) => V): Map<string, V[]> {
  const out = new Map<string, V[]>();
  for (const r of rows) {
    const k = key(r);
    const list = out.get(k);
    if (list) list.push(value(r));
    else out.set(k, [value(r)]);
  }
  return out;
}
