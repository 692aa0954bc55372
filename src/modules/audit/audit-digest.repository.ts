import { createPublicKey, type KeyObject } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { SignedDigest } from '../../common/audit/digest.js';
import { SQL_DRIVER } from '../../db/database.module.js';
import type { SqlDriver, SqlSession } from '../../db/sql-driver.js';

export interface SigningKeyRow {
  id: string;
  publicKey: string;
  privateKey: string;
  active: boolean;
  createdAt: Date;
}

type DigestRow = Omit<SignedDigest, 'digestSeq' | 'headSeq'> & { digestSeq: string; headSeq: string };

const DIGEST_COLUMNS = `"chain", "digestSeq"::text AS "digestSeq", "periodStart", "periodEnd", "headSeq"::text AS "headSeq", "headHash",
  "previousDigestHash", "digestHash", "signature", "keyId"`;

const toDigest = (r: DigestRow): SignedDigest => ({
  ...r,
  digestSeq: BigInt(r.digestSeq),
  headSeq: BigInt(r.headSeq),
  periodStart: new Date(r.periodStart),
  periodEnd: new Date(r.periodEnd),
});

/** The AAD a signing key's sealed private key is bound to (SecretBox). */
export const signingKeyAad = (keyId: string) => `audit-signing-key:${keyId}`;

/** Signing keys and digests (raw SQL: the digest writer runs under an advisory lock on one connection). */
@Injectable()
export class AuditDigestRepository {
  constructor(@Inject(SQL_DRIVER) private readonly driver: SqlDriver) {}

  async activeKey(s: SqlSession = this.driver): Promise<SigningKeyRow | null> {
    const [k] = await s.query<SigningKeyRow>('SELECT * FROM "audit_signing_keys" WHERE "active" ORDER BY "createdAt" DESC LIMIT 1');
    return k ?? null;
  }

  async keys(): Promise<SigningKeyRow[]> {
    return this.driver.query<SigningKeyRow>('SELECT "id", "publicKey", \'\' AS "privateKey", "active", "createdAt" FROM "audit_signing_keys" ORDER BY "createdAt"');
  }

  async publicKeyObjects(): Promise<Map<string, KeyObject>> {
    return new Map((await this.keys()).map((k) => [k.id, createPublicKey(k.publicKey)]));
  }

  async insertKey(s: SqlSession, k: Omit<SigningKeyRow, 'createdAt' | 'active'>): Promise<void> {
    await s.query('INSERT INTO "audit_signing_keys" ("id", "publicKey", "privateKey", "active") VALUES ($1, $2, $3, true)', [k.id, k.publicKey, k.privateKey]);
  }

  /** Replaces a key's sealed private key (only if it is still the one read); true when it did. */
  async resealKey(id: string, oldBox: string, newBox: string): Promise<boolean> {
    const rows = await this.driver.query<{ id: string }>('UPDATE "audit_signing_keys" SET "privateKey" = $3 WHERE "id" = $1 AND "privateKey" = $2 RETURNING "id"', [id, oldBox, newBox]);
    return rows.length === 1;
  }

  /** Sealed private keys by id, for master-key rotation. */
  async pageOfSealedKeys(afterId: string | null, limit: number): Promise<{ id: string; privateKey: string }[]> {
    return this.driver.query<{ id: string; privateKey: string }>(
      'SELECT "id", "privateKey" FROM "audit_signing_keys" WHERE $1::text IS NULL OR "id" > $1 ORDER BY "id" LIMIT $2',
      [afterId, limit],
    );
  }

  async lastDigest(s: SqlSession, chain: string): Promise<SignedDigest | null> {
    const [r] = await s.query<DigestRow>(`SELECT ${DIGEST_COLUMNS} FROM "audit_digests" WHERE "chain" = $1 ORDER BY "audit_digests"."digestSeq" DESC LIMIT 1`, [chain]);
    return r ? toDigest(r) : null;
  }

  async insertDigest(s: SqlSession, d: SignedDigest): Promise<void> {
    await s.query(
      `INSERT INTO "audit_digests" ("chain", "digestSeq", "periodStart", "periodEnd", "headSeq", "headHash", "previousDigestHash", "digestHash", "signature", "keyId")
       VALUES ($1, $2::bigint, $3, $4, $5::bigint, $6, $7, $8, $9, $10)`,
      [d.chain, d.digestSeq.toString(), d.periodStart, d.periodEnd, d.headSeq.toString(), d.headHash, d.previousDigestHash, d.digestHash, d.signature, d.keyId],
    );
  }

  /** A chain's digests in order; `afterSeq`/`limit` page through them. */
  async listDigests(chain: string, opts: { afterSeq?: bigint; limit?: number; minHeadSeq?: bigint; maxHeadSeq?: bigint } = {}): Promise<SignedDigest[]> {
    const rows = await this.driver.query<DigestRow>(
      `SELECT ${DIGEST_COLUMNS} FROM "audit_digests" WHERE "chain" = $1 AND "digestSeq" > $2::bigint
         AND "headSeq" >= $3::bigint AND ($4::bigint IS NULL OR "headSeq" <= $4::bigint)
       ORDER BY "audit_digests"."digestSeq" ${opts.limit ? `LIMIT ${Math.floor(opts.limit)}` : ''}`,
      [chain, (opts.afterSeq ?? 0n).toString(), (opts.minHeadSeq ?? 0n).toString(), opts.maxHeadSeq?.toString() ?? null],
    );
    return rows.map(toDigest);
  }

  async head(s: SqlSession, chain: string): Promise<{ seq: bigint; hash: string } | null> {
    const [h] = await s.query<{ seq: string; hash: string }>('SELECT "seq"::text AS "seq", "hash" FROM "audit_heads" WHERE "chain" = $1', [chain]);
    return h ? { seq: BigInt(h.seq), hash: h.hash } : null;
  }

  async firstEventTime(s: SqlSession, chain: string): Promise<Date | null> {
    const [r] = await s.query<{ t: Date | null }>('SELECT min("time") AS t FROM "audit_events" WHERE "chain" = $1', [chain]);
    return r?.t ? new Date(r.t) : null;
  }

  async chains(): Promise<string[]> {
    return (await this.driver.query<{ chain: string }>('SELECT "chain" FROM "audit_heads" ORDER BY "chain"')).map((r) => r.chain);
  }
}
