import { randomBytes } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { SecretBox } from '../../src/common/crypto/secret-box.js';
import type { AccessKeyForAuthentication, AccessKeysRepository } from '../../src/modules/access-keys/access-keys.repository.js';
import { KeyCache, type CachedKey } from '../../src/modules/access-keys/key-cache.js';
import { SigV4Authenticator } from '../../src/modules/access-keys/sigv4-authenticator.service.js';

const ID = 'AKIAAAAAAAAAAAAAAAAA';
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';

function row(secretCiphertext: string, status: 'Active' | 'Inactive' = 'Active'): AccessKeyForAuthentication {
  return {
    id: ID, accountId: '111111111111', userId: 'AIDAAAAAAAAAAAAAAAAA', status, secretCiphertext,
    user: { id: 'AIDAAAAAAAAAAAAAAAAA', accountId: '111111111111', kind: 'IAM', name: 'alice', path: '/', tags: {}, account: { lockRootAccessKeys: false } },
  } as AccessKeyForAuthentication;
}

describe('SigV4Authenticator key refresh', () => {
  it('reuses the decrypted secret while the stored box is unchanged, and decrypts a new box', async () => {
    const oldKey = { id: 'k1', key: randomBytes(32) };
    const box = new SecretBox(oldKey);
    const rotated = new SecretBox({ id: 'k2', key: randomBytes(32) }, [oldKey]);
    let stored = row(box.encrypt(SECRET, ID));
    const repo = { findManyForAuthentication: vi.fn(async (ids: string[]) => new Map(ids.map((id) => [id, stored] as const))) };
    const cache = new KeyCache();
    const decrypt = vi.spyOn(box, 'decryptString');
    new SigV4Authenticator(repo as unknown as AccessKeysRepository, cache, {} as never, {} as never, {} as never, box, { sigv4Regions: '*' } as never);
    // The batched refresh the authenticator registered on the cache, as the cache calls it.
    const refresh = (cache as unknown as { batch: { loadMany: (ids: string[]) => Promise<Map<string, CachedKey | null>> } }).batch.loadMany;
    const load = async (id: string) => (await refresh([id])).get(id) ?? null;

    const first = await cache.get(ID, load);
    expect(first?.secret).toBe(SECRET);
    expect(decrypt).toHaveBeenCalledTimes(1);

    // A refresh reading the same box: same secret, no decryption; other fields still come from the row.
    stored = row(stored.secretCiphertext!, 'Inactive');
    const again = (await refresh([ID])).get(ID)!;
    expect(again.secret).toBe(SECRET);
    expect(again.status).toBe('Inactive');
    expect(decrypt).toHaveBeenCalledTimes(1);

    // The box re-encrypted (master key rotation): decrypted again.
    stored = row(rotated.encrypt(SECRET, ID));
    await expect(refresh([ID])).rejects.toThrow(/unknown master key/); // tried: this instance's box does not know k2
    expect(decrypt).toHaveBeenCalledTimes(2);

    // A box that differs in any way is never matched against the remembered one.
    const other = box.encrypt(SECRET, ID);
    expect(other).not.toBe(first!.secretBox);
    stored = row(other);
    expect((await refresh([ID])).get(ID)!.secret).toBe(SECRET);
    expect(decrypt).toHaveBeenCalledTimes(3);
    expect(JSON.stringify(first!.secretBox)).not.toContain(SECRET);
  });
});
