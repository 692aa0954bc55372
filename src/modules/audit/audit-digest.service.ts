import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { FIRST_DIGEST_PREVIOUS, signDigest, signingKeyId, type SignedDigest } from '../../common/audit/digest.js';
import { SecretBox } from '../../common/crypto/secret-box.js';
import { DomainError } from '../../common/errors/domain-error.js';
import type { AppConfig } from '../../config/app-config.js';
import { APP_CONFIG, SQL_DRIVER } from '../../db/database.module.js';
import type { SqlDriver } from '../../db/sql-driver.js';
import { AuditDigestRepository, signingKeyAad } from './audit-digest.repository.js';

export interface PublicKeyView {
  keyId: string;
  algorithm: 'Ed25519';
  active: boolean;
  createdAt: string;
  publicKeyPem: string;
  jwk: Record<string, unknown>;
}

const KEY_LOCK = 'cb:audit-signing-key';

/**
 * Signed digests of the audit chains (like CloudTrail's digest files): the
 * head of a chain at the end of a period, signed with the broker's Ed25519
 * key, each naming the previous digest; one per period even when nothing
 * happened. Written periodically (AUDIT_DIGEST_INTERVAL_SECONDS, on period
 * boundaries, so instances agree on the periods) and on demand. A per-chain
 * advisory lock and unique (chain, periodEnd) keep instances from signing
 * twice.
 */
@Injectable()
export class AuditDigestService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new Logger('AuditDigests');
  private key: { id: string; privateKey: KeyObject } | null = null;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(
    @Inject(SQL_DRIVER) private readonly driver: SqlDriver,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(SecretBox) private readonly box: SecretBox,
    private readonly repo: AuditDigestRepository,
  ) {}

  onApplicationBootstrap(): void {
    const interval = this.config.auditDigestIntervalSeconds;
    if (interval > 0) this.schedule(interval * 1000);
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }

  private schedule(intervalMs: number): void {
    if (this.stopped) return;
    const now = Date.now();
    const next = (Math.floor(now / intervalMs) + 1) * intervalMs;
    this.timer = setTimeout(() => {
      this.running = this.signAll(new Date(next))
        .then(() => undefined)
        .catch((e: unknown) => this.log.error(`periodic audit digests failed: ${(e as Error).message}`))
        .finally(() => {
          this.running = null;
          this.schedule(intervalMs);
        });
    }, next - now + 50);
    this.timer.unref();
  }

  /** One digest per chain for the period ending at `periodEnd` (skipped where one exists already). */
  async signAll(periodEnd: Date): Promise<number> {
    let n = 0;
    for (const chain of await this.repo.chains()) {
      if (this.stopped) break;
      if (await this.createDigest(chain, { periodEnd, skipIfCovered: true })) n++;
    }
    return n;
  }

  /**
   * Signs the chain's current head for the period since the previous digest.
   * Returns null when `skipIfCovered` and a digest already ends at or after `periodEnd`.
   */
  async createDigest(chain: string, opts: { periodEnd?: Date; skipIfCovered?: boolean } = {}): Promise<SignedDigest | null> {
    const key = await this.signingKey();
    return this.driver.transaction(async (s) => {
      await s.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`cb:audit-digest:${chain}`]);
      const head = await this.repo.head(s, chain);
      if (!head) throw DomainError.noSuchEntity('The account');
      const last = await this.repo.lastDigest(s, chain);
      let periodEnd = new Date(opts.periodEnd?.getTime() ?? Date.now());
      if (last && periodEnd.getTime() <= last.periodEnd.getTime()) {
        if (opts.skipIfCovered) return null;
        // On-demand digests in the same millisecond: the next millisecond (periods never overlap).
        periodEnd = new Date(last.periodEnd.getTime() + 1);
      }
      const periodStart = last?.periodEnd ?? (await this.repo.firstEventTime(s, chain)) ?? periodEnd;
      const d = signDigest(key.privateKey, {
        chain,
        digestSeq: (last?.digestSeq ?? 0n) + 1n,
        periodStart: periodStart.getTime() > periodEnd.getTime() ? periodEnd : periodStart,
        periodEnd,
        headSeq: head.seq,
        headHash: head.hash,
        previousDigestHash: last?.digestHash ?? FIRST_DIGEST_PREVIOUS,
        keyId: key.id,
      });
      await this.repo.insertDigest(s, d);
      return d;
    });
  }

  listDigests(chain: string, afterSeq: bigint | undefined, limit: number): Promise<SignedDigest[]> {
    return this.repo.listDigests(chain, { afterSeq, limit });
  }

  async publicKeys(): Promise<PublicKeyView[]> {
    await this.signingKey();
    return (await this.repo.keys()).map((k) => ({
      keyId: k.id,
      algorithm: 'Ed25519' as const,
      active: k.active,
      createdAt: new Date(k.createdAt).toISOString(),
      publicKeyPem: k.publicKey,
      jwk: { ...(createPublicKey(k.publicKey).export({ format: 'jwk' }) as Record<string, unknown>), kid: k.id, use: 'sig', alg: 'EdDSA' },
    }));
  }

  /** The active signing key: loaded from the database, or generated once for all instances (under a lock). */
  async signingKey(): Promise<{ id: string; privateKey: KeyObject }> {
    if (this.key) return this.key;
    let row = await this.repo.activeKey();
    if (!row) {
      row = await this.driver.transaction(async (s) => {
        await s.query('SELECT pg_advisory_xact_lock(hashtext($1))', [KEY_LOCK]);
        const existing = await this.repo.activeKey(s);
        if (existing) return existing;
        const pair = generateKeyPairSync('ed25519');
        const id = signingKeyId(pair.publicKey);
        const publicKey = pair.publicKey.export({ type: 'spki', format: 'pem' }).toString();
        const privateKey = this.box.encrypt(pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), signingKeyAad(id));
        await this.repo.insertKey(s, { id, publicKey, privateKey });
        return { id, publicKey, privateKey, active: true, createdAt: new Date() };
      });
    }
    const pem = this.box.decryptString(row.privateKey, signingKeyAad(row.id));
    if (this.box.needsReencrypt(row.privateKey)) {
      // Sealed under an older master key: re-seal under the current one (MASTER_KEYS_OLD can then be dropped).
      await this.repo.resealKey(row.id, row.privateKey, this.box.encrypt(pem, signingKeyAad(row.id)));
    }
    this.key = { id: row.id, privateKey: createPrivateKey(pem) };
    return this.key;
  }
}
