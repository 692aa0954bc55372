import { Injectable } from '@nestjs/common';
import { Prisma, type StsSession } from '../../generated/prisma/client.js';
import { PrismaService, type Db, type Tx } from '../../db/prisma.service.js';
import { columnList, jsonRecordset, type JsonColumn } from '../../db/json-rows.js';
import type { SqlSession } from '../../db/sql-driver.js';

export type StsSessionRow = StsSession;
export type NewStsSession = Omit<StsSession, 'revokedAt' | 'tags' | 'policyArns'> & { tags: Record<string, string>; policyArns: string[] };

/** Which sessions a revocation reaches (all within one account). */
export interface RevocationScope {
  /** One session and every session obtained with it (role chaining). */
  accessKeyId?: string;
  /** Every session issued through a container token, and every session obtained with those. */
  containerTokenId?: string;
  /** Sessions of a principal: matched against the session ARN, its caller and the long-term identity at the start of its chain. */
  principalArn?: string;
  /** Sessions of a role. */
  roleId?: string;
  /** Only sessions issued before this time (alone: every session of the account issued before it). */
  issuedBefore?: Date;
}

export interface RevokedSession {
  accessKeyId: string;
  issuer: string;
  roleId: string | null;
}

/** sts_sessions' columns as the inserts send them (one JSON row object per session, keys as named here). */
const SESSION_COLUMNS: readonly JsonColumn[] = [
  ['accessKeyId', 'text'], ['accountId', 'text'], ['type', 'text'], ['issuer', 'text'], ['arn', 'text'], ['callerArn', 'text'], ['sourceArn', 'text'],
  ['parentAccessKeyId', 'text'], ['principalId', 'text'], ['roleId', 'text'], ['sessionName', 'text'], ['sourceIdentity', 'text'], ['tags', 'jsonb'],
  ['sessionPolicy', 'text'], ['policyArns', 'jsonb'], ['mfaAuthenticatedAt', 'timestamptz'], ['secretCiphertext', 'text'], ['tokenHash', 'text'],
  ['upstreamRequestId', 'text'], ['containerTokenId', 'uuid'], ['issuedAt', 'timestamptz'], ['expiresAt', 'timestamptz'],
];
/** The same with the audit chain each row belongs to (the group commit writes a row only if its chain's records were written). */
const SESSION_COLUMNS_CHAINED: readonly JsonColumn[] = [...SESSION_COLUMNS, ['auditChain', 'text']];

/** Temporary credentials issued through STS. */
@Injectable()
export class StsSessionsRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * New sessions in one statement, on the issuance path's own transaction
   * (raw SQL: this runs for every issued credential, and Prisma's per-query
   * work would cost more than the insert). `skipDuplicates`: an upstream
   * credential handed to several callers is recorded once.
   */
  async insertMany(s: SqlSession, rows: NewStsSession[], skipDuplicates = false): Promise<void> {
    if (!rows.length) return;
    const { sql, params } = insertSql(rows, 1, skipDuplicates);
    await s.query(sql, params);
  }

  /**
   * The same insert as a CTE of the group commit's one statement
   * (`AuditRepository.appendOnHeads`): only the rows whose audit chain
   * (`chains[i]`) is in the statement's `ok` CTE are written.
   */
  insertCte(name: string, rows: NewStsSession[], chains: string[], firstParam: number, skipDuplicates = false): { cte: string; params: unknown[] } {
    const { sql, params } = insertSql(rows, firstParam, skipDuplicates, chains);
    return { cte: `${name} AS (${sql})`, params };
  }

  /**
   * The authentication lookup: by access key id alone, because that is all a
   * signed request names; each row then says which account it belongs to.
   * Many at once: the session cache refreshes every session in use in one query.
   */
  findManyForAuthentication(accessKeyIds: string[]): Promise<StsSessionRow[]> {
    return this.prisma.stsSession.findMany({ where: { accessKeyId: { in: accessKeyIds } } });
  }

  /** Whether the account's session has been revoked (false for one it does not hold). */
  async isRevoked(accountId: string, accessKeyId: string): Promise<boolean> {
    return (await this.prisma.stsSession.count({ where: { accountId, accessKeyId, revokedAt: { not: null } } })) === 1;
  }

  /** Whether a session can still be used: not revoked (by any path), not expired; optionally issued through this container token. */
  async isLive(accountId: string, accessKeyId: string, containerTokenId?: string): Promise<boolean> {
    const n = await this.prisma.stsSession.count({ where: { accountId, accessKeyId, ...(containerTokenId ? { containerTokenId } : {}), revokedAt: null, expiresAt: { gt: new Date() } } });
    return n === 1;
  }

  list(accountId: string, f: { roleId?: string; principalArn?: string; activeOnly: boolean; limit: number }, db: Db = this.prisma): Promise<StsSessionRow[]> {
    const now = new Date();
    return db.stsSession.findMany({
      where: {
        accountId,
        ...(f.roleId ? { roleId: f.roleId } : {}),
        ...(f.principalArn ? { OR: [{ arn: f.principalArn }, { callerArn: f.principalArn }, { sourceArn: f.principalArn }] } : {}),
        ...(f.activeOnly ? { revokedAt: null, expiresAt: { gt: now } } : {}),
      },
      orderBy: { issuedAt: 'desc' },
      take: f.limit,
    });
  }

  /**
   * Marks the matching live sessions revoked, in one statement; a single
   * session takes every session chained from it along.
   */
  async revoke(tx: Tx, accountId: string, scope: RevocationScope, at: Date): Promise<RevokedSession[]> {
    const conds: Prisma.Sql[] = [Prisma.sql`s."accountId" = ${accountId}`, Prisma.sql`s."revokedAt" IS NULL`, Prisma.sql`s."expiresAt" > ${at}`];
    if (scope.principalArn) conds.push(Prisma.sql`(s."arn" = ${scope.principalArn} OR s."callerArn" = ${scope.principalArn} OR s."sourceArn" = ${scope.principalArn})`);
    if (scope.roleId) conds.push(Prisma.sql`s."roleId" = ${scope.roleId}`);
    if (scope.issuedBefore) conds.push(Prisma.sql`s."issuedAt" < ${scope.issuedBefore}`);
    const where = Prisma.join(conds, ' AND ');
    // A session or a container token names the roots of a tree: the sessions chained from them go too.
    const root = scope.accessKeyId
      ? Prisma.sql`"accessKeyId" = ${scope.accessKeyId}`
      : scope.containerTokenId
        ? Prisma.sql`"containerTokenId" = CAST(${scope.containerTokenId} AS uuid)`
        : null;
    if (root) {
      return tx.$queryRaw<RevokedSession[]>`
        WITH RECURSIVE tree AS (
          SELECT "accessKeyId" FROM "sts_sessions" WHERE "accountId" = ${accountId} AND ${root}
          UNION
          SELECT c."accessKeyId" FROM "sts_sessions" c JOIN tree t ON c."parentAccessKeyId" = t."accessKeyId" WHERE c."accountId" = ${accountId}
        )
        UPDATE "sts_sessions" s SET "revokedAt" = ${at}
        FROM tree WHERE s."accessKeyId" = tree."accessKeyId" AND ${where}
        RETURNING s."accessKeyId", s."issuer", s."roleId"`;
    }
    return tx.$queryRaw<RevokedSession[]>`
      UPDATE "sts_sessions" s SET "revokedAt" = ${at} WHERE ${where}
      RETURNING s."accessKeyId", s."issuer", s."roleId"`;
  }
}

/**
 * `INSERT INTO sts_sessions … SELECT … FROM json_to_recordset($first)`: the
 * rows as one JSON parameter, so the statement text stays the same whatever
 * the batch size. With `chains` (each row's audit chain), only rows of chains
 * in the CTE `ok` are inserted.
 */
function insertSql(rows: NewStsSession[], first: number, skipDuplicates: boolean, chains?: string[]): { sql: string; params: unknown[] } {
  const out = rows.map((r, i) => ({
    accessKeyId: r.accessKeyId, accountId: r.accountId, type: r.type, issuer: r.issuer, arn: r.arn, callerArn: r.callerArn, sourceArn: r.sourceArn,
    parentAccessKeyId: r.parentAccessKeyId, principalId: r.principalId, roleId: r.roleId, sessionName: r.sessionName, sourceIdentity: r.sourceIdentity,
    tags: r.tags, sessionPolicy: r.sessionPolicy, policyArns: r.policyArns, mfaAuthenticatedAt: r.mfaAuthenticatedAt?.toISOString() ?? null,
    secretCiphertext: r.secretCiphertext, tokenHash: r.tokenHash, upstreamRequestId: r.upstreamRequestId, containerTokenId: r.containerTokenId,
    issuedAt: r.issuedAt.toISOString(), expiresAt: r.expiresAt.toISOString(), auditChain: chains?.[i] ?? null,
  }));
  const sql = `INSERT INTO "sts_sessions" (${columnList(SESSION_COLUMNS)})
       SELECT ${columnList(SESSION_COLUMNS, 't.')}
       FROM ${jsonRecordset(first, chains ? SESSION_COLUMNS_CHAINED : SESSION_COLUMNS)}${chains ? ' WHERE t."auditChain" IN (SELECT "chain" FROM ok)' : ''}${
         skipDuplicates ? ' ON CONFLICT ("accessKeyId") DO NOTHING' : ''
       }`;
  return { sql, params: [JSON.stringify(out)] };
}
