/**
 * Authenticated encryption for secrets at rest: AES-256-GCM, 12-byte random IV, 16-byte tag.
 *
 * Box format: "v1.<keyId>.<iv b64url>.<ciphertext b64url>.<tag b64url>"
 *
 * The GCM additional authenticated data is "v1.<keyId>." followed by the caller's `aad` (UTF-8), so the
 * header is bound to the ciphertext and a caller can bind a box to its row (e.g. the access key id):
 * a box copied to another row fails to decrypt. An omitted aad is the same as "".
 *
 * Errors never contain plaintext, key material or the box contents.
 */
import { createCipheriv, createDecipheriv, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import { randomBytesPooled } from '../ids.js';

export interface MasterKey {
  id: string;
  /** 32 bytes */
  key: Buffer;
}

export class SecretBoxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretBoxError';
  }
}

export const MASTER_KEY_ID_RE = /^[A-Za-z0-9_-]{1,32}$/;

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
const B64URL_RE = /^[A-Za-z0-9_-]*$/;

function decodeB64urlStrict(s: string): Buffer | null {
  if (!B64URL_RE.test(s)) return null;
  const buf = Buffer.from(s, 'base64url');
  // Reject non-canonical encodings (e.g. altered unused low bits in the last character).
  if (buf.toString('base64url') !== s) return null;
  return buf;
}

interface ParsedBox {
  keyId: string;
  iv: Buffer;
  ciphertext: Buffer;
  tag: Buffer;
}

function parseBox(box: string): ParsedBox {
  if (typeof box !== 'string') throw new SecretBoxError('malformed secret box');
  const parts = box.split('.');
  if (parts.length !== 5 || parts[0] !== VERSION) throw new SecretBoxError('malformed secret box');
  const [, keyId, ivS, ctS, tagS] = parts as [string, string, string, string, string];
  if (!MASTER_KEY_ID_RE.test(keyId)) throw new SecretBoxError('malformed secret box');
  const iv = decodeB64urlStrict(ivS);
  const ciphertext = decodeB64urlStrict(ctS);
  const tag = decodeB64urlStrict(tagS);
  if (!iv || iv.length !== IV_BYTES || !ciphertext || !tag || tag.length !== TAG_BYTES) {
    throw new SecretBoxError('malformed secret box');
  }
  return { keyId, iv, ciphertext, tag };
}

function fullAad(keyId: string, aad: string | undefined): Buffer {
  return Buffer.from(`${VERSION}.${keyId}.${aad ?? ''}`, 'utf8');
}

function checkMasterKey(k: MasterKey): void {
  if (!k || typeof k.id !== 'string' || !MASTER_KEY_ID_RE.test(k.id)) {
    throw new Error('master key id must match [A-Za-z0-9_-]{1,32}');
  }
  if (!Buffer.isBuffer(k.key) || k.key.length !== KEY_BYTES) {
    throw new Error(`master key "${k.id}" must be exactly ${KEY_BYTES} bytes`);
  }
}

export class SecretBox {
  private readonly primaryId: string;
  private readonly keys = new Map<string, KeyObject>();

  /** `primary` encrypts; `primary` and all `others` decrypt. */
  constructor(primary: MasterKey, others: MasterKey[] = []) {
    checkMasterKey(primary);
    this.primaryId = primary.id;
    const raw = new Map<string, Buffer>();
    for (const k of [primary, ...others]) {
      checkMasterKey(k);
      const existing = raw.get(k.id);
      if (existing) {
        if (!existing.equals(k.key)) throw new Error(`duplicate master key id "${k.id}" with different key material`);
        continue;
      }
      raw.set(k.id, k.key);
      // KeyObject: key material is not exposed by util.inspect / JSON.stringify of this instance.
      this.keys.set(k.id, createSecretKey(Buffer.from(k.key)));
    }
  }

  get primaryKeyId(): string {
    return this.primaryId;
  }

  encrypt(plaintext: string | Buffer, aad?: string): string {
    const data = typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext;
    if (!Buffer.isBuffer(data)) throw new TypeError('plaintext must be a string or Buffer');
    const key = this.keys.get(this.primaryId)!;
    // A random 96-bit IV per box, from the pooled CSPRNG (a randomBytes call per box cost more than the encryption).
    const iv = randomBytesPooled(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(fullAad(this.primaryId, aad));
    const ciphertext = cipher.update(data);
    cipher.final(); // GCM has no trailing block: final only computes the tag
    const tag = cipher.getAuthTag();
    return `${VERSION}.${this.primaryId}.${iv.toString('base64url')}.${ciphertext.toString('base64url')}.${tag.toString('base64url')}`;
  }

  decrypt(box: string, aad?: string): Buffer {
    const p = parseBox(box);
    const key = this.keys.get(p.keyId);
    if (!key) throw new SecretBoxError(`unknown master key id "${p.keyId}"`);
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, p.iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(fullAad(p.keyId, aad));
      decipher.setAuthTag(p.tag);
      return Buffer.concat([decipher.update(p.ciphertext), decipher.final()]);
    } catch {
      throw new SecretBoxError('secret box authentication failed');
    }
  }

  decryptString(box: string, aad?: string): string {
    return this.decrypt(box, aad).toString('utf8');
  }

  /** Key id recorded in the box header. Throws SecretBoxError if the box is malformed. */
  keyIdOf(box: string): string {
    return parseBox(box).keyId;
  }

  /** True when the box was sealed with a key other than the current primary (re-encrypt on next write). */
  needsReencrypt(box: string): boolean {
    return this.keyIdOf(box) !== this.primaryId;
  }
}

const SPEC_HELP = 'expected "<id>:<base64 or base64url encoding of 32 bytes>" with id matching [A-Za-z0-9_-]{1,32}';

/**
 * Parses "<id>:<base64|base64url of 32 bytes>" (surrounding whitespace ignored).
 * Throws an Error whose message never contains the key (nor any part of the spec).
 */
export function parseMasterKey(spec: string): MasterKey {
  if (typeof spec !== 'string') throw new Error(`invalid master key spec: ${SPEC_HELP}`);
  const s = spec.trim();
  const colon = s.indexOf(':');
  if (colon === -1) throw new Error(`invalid master key spec (missing ":"): ${SPEC_HELP}`);
  const id = s.slice(0, colon);
  const enc = s.slice(colon + 1);
  if (!MASTER_KEY_ID_RE.test(id)) throw new Error(`invalid master key spec (bad key id): ${SPEC_HELP}`);
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(enc)) {
    throw new Error(`invalid master key spec (key is not base64/base64url): ${SPEC_HELP}`);
  }
  const unpadded = enc.replace(/=+$/, '');
  const normalized = unpadded.replace(/\+/g, '-').replace(/\//g, '_');
  const key = Buffer.from(normalized, 'base64url');
  if (key.length !== KEY_BYTES || key.toString('base64url') !== normalized) {
    throw new Error(`invalid master key spec (key must decode to exactly ${KEY_BYTES} bytes): ${SPEC_HELP}`);
  }
  return { id, key };
}

/** Generates a fresh spec "<id>:<base64url 32 random bytes>". Default id: "k" + UTC yyyymmdd + "-" + 6 random hex chars. */
export function generateMasterKeySpec(id?: string): string {
  const keyId = id ?? `k${new Date().toISOString().slice(0, 10).replace(/-/g, '')}-${randomBytes(3).toString('hex')}`;
  if (!MASTER_KEY_ID_RE.test(keyId)) throw new Error('master key id must match [A-Za-z0-9_-]{1,32}');
  return `${keyId}:${randomBytes(KEY_BYTES).toString('base64url')}`;
}
