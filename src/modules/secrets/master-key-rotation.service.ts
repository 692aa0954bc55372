import { Inject, Injectable } from '@nestjs/common';
import { SecretBox, SecretBoxError } from '../../common/crypto/secret-box.js';
import { AccessKeysRepository } from '../access-keys/access-keys.repository.js';
import { AuditDigestRepository, signingKeyAad } from '../audit/audit-digest.repository.js';
import { MfaRepository } from '../mfa/mfa.repository.js';

export interface RotationResult {
  accessKeys: number;
  mfaSeeds: number;
  /** Private keys of the audit digest signers. */
  auditSigningKeys: number;
  /** Rows under a key that is neither MASTER_KEY nor in MASTER_KEYS_OLD (left as they are). */
  undecryptable: number;
}

/**
 * Re-encrypts every secret at rest (access-key secrets, MFA seeds, audit signing keys) under the
 * primary master key. Run with MASTER_KEY=<new> and MASTER_KEYS_OLD=<old>;
 * afterwards the old key can be retired. Each row is swapped with a
 * compare-and-set, so it is safe while the broker serves requests.
 */
@Injectable()
export class MasterKeyRotationService {
  constructor(
    private readonly keys: AccessKeysRepository,
    private readonly mfa: MfaRepository,
    private readonly auditKeys: AuditDigestRepository,
    @Inject(SecretBox) private readonly box: SecretBox,
  ) {}

  async reencryptAll(): Promise<RotationResult> {
    const result: RotationResult = { accessKeys: 0, mfaSeeds: 0, auditSigningKeys: 0, undecryptable: 0 };
    result.accessKeys = await this.rotate(
      result,
      (after) => this.keys.pageOfSecrets(after, 500),
      (k) => ({ box: k.secretCiphertext, aad: k.id }),
      (k, fresh) => this.keys.replaceSecret(k.id, k.secretCiphertext, fresh),
    );
    result.mfaSeeds = await this.rotate(
      result,
      (after) => this.mfa.pageOfSeeds(after, 500),
      (d) => ({ box: d.seedCiphertext, aad: d.serialNumber }),
      (d, fresh) => this.mfa.replaceSeed(d.id, d.seedCiphertext, fresh),
    );
    result.auditSigningKeys = await this.rotate(
      result,
      (after) => this.auditKeys.pageOfSealedKeys(after, 500),
      (k) => ({ box: k.privateKey, aad: signingKeyAad(k.id) }),
      (k, fresh) => this.auditKeys.resealKey(k.id, k.privateKey, fresh),
    );
    return result;
  }

  /** Pages through rows by id, re-encrypting those under an older key; returns how many changed. */
  private async rotate<R extends { id: string }>(
    result: RotationResult,
    page: (afterId: string | null) => Promise<R[]>,
    secretOf: (row: R) => { box: string; aad: string },
    replace: (row: R, fresh: string) => Promise<boolean>,
  ): Promise<number> {
    let changed = 0;
    for (let rows = await page(null); rows.length; rows = await page(rows[rows.length - 1].id)) {
      for (const row of rows) {
        const { box, aad } = secretOf(row);
        if (!this.box.needsReencrypt(box)) continue;
        const fresh = this.reencrypt(box, aad, result);
        if (fresh !== null && (await replace(row, fresh))) changed++;
      }
    }
    return changed;
  }

  private reencrypt(box: string, aad: string, result: RotationResult): string | null {
    try {
      return this.box.encrypt(this.box.decrypt(box, aad), aad);
    } catch (e) {
      if (!(e instanceof SecretBoxError)) throw e;
      result.undecryptable++;
      return null;
    }
  }
}
