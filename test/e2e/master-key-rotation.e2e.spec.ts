import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateMasterKeySpec } from '../../src/common/crypto/secret-box.js';
import { openSqlDriver, type SqlDriver } from '../../src/db/sql-driver.js';
import { AuditDigestService } from '../../src/modules/audit/audit-digest.service.js';
import { MasterKeyRotationService } from '../../src/modules/secrets/master-key-rotation.service.js';
import { accountWithRoot, bearer, codeAt } from '../support/factories.js';
import { signedRequest } from '../support/sigv4-client.js';
import { DB_KIND, startTestApp, testConfig, uniq } from '../support/test-app.js';

/** Secrets at rest carry their key id; rotation re-encrypts them so the old key can go. */
describe(`master key rotation (${DB_KIND})`, () => {
  let driver: SqlDriver;
  const oldKey = generateMasterKeySpec('old');
  const newKey = generateMasterKeySpec('new');
  // Rotation re-encrypts every secret in the database: on PostgreSQL it gets a database of its own, so that the
  // files running beside it (under the suite's key) never find their secrets, or the digest signer, under a key they lack.
  let env: Record<string, string> = {};
  let own: string | null = null;
  beforeAll(async () => {
    if (DB_KIND === 'postgres') {
      own = uniq('cb_rotation_');
      const admin = await openSqlDriver(testConfig().database);
      await admin.query(`CREATE DATABASE "${own}"`);
      await admin.close();
      const url = new URL(process.env.DATABASE_URL!);
      url.pathname = `/${own}`;
      env = { DATABASE_URL: url.toString() };
    }
    driver = await openSqlDriver(testConfig(env).database);
  });
  afterAll(async () => {
    await driver?.close();
    if (own) {
      const admin = await openSqlDriver(testConfig().database);
      await admin.query(`DROP DATABASE IF EXISTS "${own}" WITH (FORCE)`);
      await admin.close();
    }
  });

  it('re-encrypts access-key secrets, MFA seeds and audit signing keys; afterwards the new key alone suffices', async () => {
    // 1. Secrets written under the old key.
    const t1 = await startTestApp({ ...env, MASTER_KEY: oldKey }, { driver });
    const a = await accountWithRoot(t1);
    const user = uniq('rot-');
    await t1.http.post(`/v1/accounts/${a.accountId}/users`).set(bearer(a.rootToken)).send({ userName: user });
    const key = (await t1.http.post(`/v1/accounts/${a.accountId}/users/${user}/access-keys`).set(bearer(a.rootToken))).body.accessKey;
    const dev = (await t1.http.post(`/v1/accounts/${a.accountId}/users/${user}/mfa-devices`).set(bearer(a.rootToken)).send({ deviceName: user })).body;
    // The digest signer's private key (created on first use).
    const signer = (await t1.app.get(AuditDigestService).signingKey()).id;
    await t1.close();

    // 2. The new key primary, the old one still accepted; rotate.
    const t2 = await startTestApp({ ...env, MASTER_KEY: newKey, MASTER_KEYS_OLD: oldKey }, { driver });
    expect((await signedRequest(t2, key, 'GET', '/v1/caller-identity')).status).toBe(200);
    const r = await t2.app.get(MasterKeyRotationService).reencryptAll();
    expect(r.accessKeys).toBeGreaterThanOrEqual(1);
    expect(r.mfaSeeds).toBeGreaterThanOrEqual(1);
    expect(r.auditSigningKeys).toBeGreaterThanOrEqual(1);
    expect(r.undecryptable).toBe(0);
    expect((await t2.app.get(MasterKeyRotationService).reencryptAll()).accessKeys).toBe(0);
    const row = await t2.prisma.accessKey.findUnique({ where: { id: key.accessKeyId } });
    expect(row!.secretCiphertext).toMatch(/^v1\.new\./);
    const seedRow = await t2.prisma.mfaDevice.findUnique({ where: { serialNumber: dev.serialNumber } });
    expect(seedRow!.seedCiphertext).toMatch(/^v1\.new\./);
    const [sealed] = await driver.query<{ privateKey: string }>('SELECT "privateKey" FROM "audit_signing_keys" WHERE "id" = $1', [signer]);
    expect(sealed!.privateKey).toMatch(/^v1\.new\./);
    await t2.close();

    // 3. Only the new key: the access key and the MFA device still work.
    const t3 = await startTestApp({ ...env, MASTER_KEY: newKey }, { driver });
    expect((await signedRequest(t3, key, 'GET', '/v1/caller-identity')).status).toBe(200);
    const enabled = await t3.http
      .post(`/v1/accounts/${a.accountId}/users/${user}/mfa-devices/enable`)
      .set(bearer(a.rootToken))
      .send({ serialNumber: dev.serialNumber, authenticationCode1: codeAt(dev.base32StringSeed, -1), authenticationCode2: codeAt(dev.base32StringSeed, 0) });
    expect(enabled.status, JSON.stringify(enabled.body)).toBe(201);
    // The digest signer still signs, with the same key.
    const digest = await t3.app.get(AuditDigestService).createDigest(a.accountId);
    expect(digest?.keyId).toBe(signer);
    await t3.close();
  });
});
