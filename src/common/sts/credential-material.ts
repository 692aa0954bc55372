/**
 * The random parts of a local-issuer credential, in common/ids' formats (which draw from its pooled
 * CSPRNG buffer).
 */
import { newAccessKeyId, newOpaqueToken, newSecretAccessKey } from '../ids.js';

export interface CredentialMaterial {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
}

/** ASIA + 16 chars of [A-Z2-7] (80 bits), a 40-character base64 secret (240 bits), `cbst_` + base64url of 48 bytes (384 bits). */
export function newSessionCredentialMaterial(): CredentialMaterial {
  return { accessKeyId: newAccessKeyId('ASIA'), secretAccessKey: newSecretAccessKey(), sessionToken: newOpaqueToken('cbst_', 48) };
}
