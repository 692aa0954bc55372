import { Inject, Injectable } from '@nestjs/common';
import { SecretBox, SecretBoxError } from '../../common/crypto/secret-box.js';
import { AccessKeysRepository } from '../access-keys/access-keys.repository.js';
import { MfaRepository } from '../mfa/mfa.repository.js';

export interface RotationResult {
  accessKeys: number;
  mfaSeeds: number;
  /** Rows under a key that is neither MASTER_KEY nor in MASTER_KEYS_OLD (left as they are). */
  undecryptable: number;
}

/**
 * Re-encrypts every secret at rest (access-key secrets, MFA seeds) under the
 * primary master key. Run with MASTER_KEY=<new> and MASTER_KEYS_OLD=<old>;
 * afterwards the old key can be retired. Each row is swapped with a
 * compare-and-set, so it is safe while the broker serves requests.
 */
@Injectable()
export class MasterKeyRotationService {
  constructor(
    private readonly keys: AccessKeysRepository,
    private readonly mfa: MfaRepository,
    @Inject(SecretBox) private readonly box: SecretBox,
  ) {}

  async reencryptAll(): Promise<RotationResult> {
    const result: RotationResult = { accessKeys: 0, mfaSeeds: 0, undecryptable: 0 };
    for (let after: string | null = null; ; ) {
      const page = await this.keys.pageOfSecrets(after, 500);
      if (!page.length) break;
      for (const k of page) {
        if (!this.box.needsReencrypt(k.secretCiphertext)) continue;
        const fresh = this.reencrypt(k.secretCiphertext, k.id, result);
        if (fresh === null) continue;
        if (await this.keys.replaceSecret(k.id, k.secretCiphertext, fresh)) result.accessKeys++;
      }
      after = page[page.length - 1].id;
    }
    for (let after: string | null = null; ; ) {
      const page = await this.mfa.pageOfSeeds(after, 500);
      if (!page.length) break;
      for (const d of page) {
        if (!this.box.needsReencrypt(d.seedCiphertext)) continue;
        const fresh = this.reencrypt(d.seedCiphertext, d.serialNumber, result);
        if (fresh === null) continue;
        if (await this.mfa.replaceSeed(d.id, d.seedCiphertext, fresh)) result.mfaSeeds++;
      }
      after = page[page.length - 1].id;
    }
    return result;
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
