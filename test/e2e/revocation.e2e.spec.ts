import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountWithRoot, bearer, type TestAccount } from '../support/factories.js';
import { signedRequest } from '../support/sigv4-client.js';
import { keysOf, policyDoc, allow, role, trustPolicy, userWithKey } from '../support/sts.js';
import { DB_KIND, startTestApp, uniq, type TestApp } from '../support/test-app.js';

/**
 * Two broker instances on one PostgreSQL database: a key deactivated or
 * deleted through one stops authenticating on the other within one second.
 * (PGlite is one process's database, so there is no second instance there.)
 */
describe.runIf(DB_KIND === 'postgres')('key revocation across instances (postgres)', () => {
  let one: TestApp;
  let two: TestApp;
  let a: TestAccount;
  beforeAll(async () => {
    [one, two] = await Promise.all([startTestApp(), startTestApp()]);
    a = await accountWithRoot(one);
  });
  afterAll(async () => {
    await Promise.all([one?.close(), two?.close()]);
  });

  async function waitUntilRefused(keys: { accessKeyId: string; secretAccessKey: string }): Promise<number> {
    const start = Date.now();
    for (;;) {
      const r = await signedRequest(two, keys, 'GET', '/v1/caller-identity');
      if (r.status === 403) {
        expect(r.body.error.code).toBe('InvalidClientTokenId');
        return Date.now() - start;
      }
      expect(r.status).toBe(200);
      if (Date.now() - start > 5000) throw new Error('still accepted after 5 s');
      await new Promise((res) => setTimeout(res, 25));
    }
  }

  for (const how of ['deactivated', 'deleted'] as const) {
    it(`a key ${how} on instance one stops working on instance two within one second`, async () => {
      const user = uniq('rev-');
      await one.http.post(`/v1/accounts/${a.accountId}/users`).set(bearer(a.rootToken)).send({ userName: user });
      const url = `/v1/accounts/${a.accountId}/users/${user}/access-keys`;
      const k = (await one.http.post(url).set(bearer(a.rootToken))).body.accessKey;
      // Warm instance two's cache with a successful request.
      expect((await signedRequest(two, k, 'GET', '/v1/caller-identity')).status).toBe(200);
      expect((await one.http.patch(`${url}/${k.accessKeyId}`).set(bearer(a.rootToken)).send({ status: 'Inactive' })).status).toBe(200);
      if (how === 'deleted') expect((await one.http.delete(`${url}/${k.accessKeyId}`).set(bearer(a.rootToken))).status).toBe(204);
      const ms = await waitUntilRefused(k);
      expect(ms).toBeLessThan(1000);
    });
  }

  it('a temporary credential revoked on instance one stops working on instance two within one second', async () => {
    const r0 = await role(one, a, trustPolicy(a.accountId));
    const u = await userWithKey(one, a, policyDoc([allow('sts:AssumeRole')]));
    const issued = await signedRequest(one, u.keys, 'POST', '/v1/sts/assume-role', { body: { RoleArn: r0.arn, RoleSessionName: 'rev' } });
    expect(issued.status, JSON.stringify(issued.body)).toBe(200);
    const k = keysOf(issued.body);
    expect((await signedRequest(two, k, 'GET', '/v1/sts/get-caller-identity')).status).toBe(200);
    const r = await one.http.post(`/v1/accounts/${a.accountId}/sts/revocations`).set(bearer(a.rootToken)).send({ accessKeyId: k.accessKeyId });
    expect(r.body.revoked).toBe(1);
    const start = Date.now();
    for (;;) {
      const res = await signedRequest(two, k, 'GET', '/v1/sts/get-caller-identity');
      if (res.status === 403) break;
      expect(res.status).toBe(200);
      if (Date.now() - start > 5000) throw new Error('still accepted after 5 s');
      await new Promise((res) => setTimeout(res, 25));
    }
    expect(Date.now() - start).toBeLessThan(1000);
  });
});
