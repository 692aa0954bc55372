/**
 * The random parts of a local-issuer credential, drawn from a pooled CSPRNG
 * buffer: one `randomFillSync` per ~75 credentials instead of three
 * `randomBytes` calls per credential (each costs several microseconds here, on
 * the issuance hot path). Same formats and entropy as `common/ids.ts`
 * (`newAccessKeyId('ASIA')`, `newSecretAccessKey()`, `newOpaqueToken('cbst_', 48)`);
 * every byte is used once and the consumed bytes are zeroed.
 */
import { randomFillSync } from 'node:crypto';

const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const KEY_ID_CHARS = 16;
const SECRET_BYTES = 30;
const TOKEN_BYTES = 48;
const PER_CREDENTIAL = KEY_ID_CHARS + SECRET_BYTES + TOKEN_BYTES;
const POOL_BYTES = PER_CREDENTIAL * 75;

const pool = Buffer.alloc(POOL_BYTES);
let offset = POOL_BYTES;

export interface CredentialMaterial {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
}

/** ASIA + 16 chars of [A-Z2-7] (80 bits), a 40-character base64 secret (240 bits), `cbst_` + base64url of 48 bytes (384 bits). */
export function newSessionCredentialMaterial(): CredentialMaterial {
  if (offset + PER_CREDENTIAL > POOL_BYTES) {
    randomFillSync(pool);
    offset = 0;
  }
  const at = offset;
  offset += PER_CREDENTIAL;
  let keyId = 'ASIA';
  // 32 divides 256, so `byte & 31` is unbiased.
  for (let i = 0; i < KEY_ID_CHARS; i++) keyId += B32[pool[at + i]! & 31];
  const secretAccessKey = pool.toString('base64', at + KEY_ID_CHARS, at + KEY_ID_CHARS + SECRET_BYTES);
  const sessionToken = 'cbst_' + pool.toString('base64url', at + KEY_ID_CHARS + SECRET_BYTES, at + PER_CREDENTIAL);
  pool.fill(0, at, at + PER_CREDENTIAL);
  return { accessKeyId: keyId, secretAccessKey, sessionToken };
}
