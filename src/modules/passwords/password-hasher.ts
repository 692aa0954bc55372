import { Inject, Injectable } from '@nestjs/common';
import argon2 from '@node-rs/argon2';
import type { AppConfig } from '../../config/app-config.js';
import { APP_CONFIG } from '../../db/database.module.js';

/** argon2id at OWASP's recommended parameters (19 MiB, t=2, p=1). */
const OWASP = { algorithm: 2 /* Argon2id */, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;
/** Tests only (FAST_PASSWORD_HASHING, refused in production). */
const FAST = { algorithm: 2, memoryCost: 1024, timeCost: 1, parallelism: 1 } as const;

@Injectable()
export class PasswordHasher {
  private readonly params: typeof OWASP | typeof FAST;
  /** Verified against when there is no user, so every failure costs the same. */
  private readonly dummy: string;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.params = config.fastPasswordHashing ? FAST : OWASP;
    this.dummy = argon2.hashSync('credbroker-dummy-password', this.params);
  }

  hash(password: string): Promise<string> {
    return argon2.hash(password, this.params);
  }

  /** Verifies against `hash`, or burns the same time on a dummy when there is none. */
  async verify(hash: string | null | undefined, password: string): Promise<boolean> {
    try {
      const ok = await argon2.verify(hash ?? this.dummy, password);
      return ok && !!hash;
    } catch {
      return false;
    }
  }
}
