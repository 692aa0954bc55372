import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, accountWithRoot, bearer, MANAGE_OWN, userWithPolicies, type TestAccount } from '../support/factories.js';
import { signedRequest } from '../support/sigv4-client.js';
import { DB_KIND, startTestApp, uniq, type TestApp } from '../support/test-app.js';

describe(`access keys and SigV4 (${DB_KIND})`, () => {
  let t: TestApp;
  let a: TestAccount;
  beforeAll(async () => {
    t = await startTestApp();
    a = await accountWithRoot(t);
  });
  afterAll(async () => {
    await t?.close();
  });

  const keysUrl = (acct: string, user: string) => `/v1/accounts/${acct}/users/${user}/access-keys`;

  async function newUser(policies: string[] = []) {
    return userWithPolicies(t, a, policies);
  }

  it('creates a key pair, shows the secret once, and authenticates SigV4 requests with it', async () => {
    const u = await newUser([MANAGE_OWN]);
    const res = await t.http.post(keysUrl(a.accountId, u.userName)).set(bearer(u.token));
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const { accessKeyId, secretAccessKey, status } = res.body.accessKey;
    expect(accessKeyId).toMatch(/^AKIA[A-Z2-7]{16}$/);
    expect(secretAccessKey).toHaveLength(40);
    expect(status).toBe('Active');
    expect(res.body.csv).toBe(`Access key ID,Secret access key\r\n${accessKeyId},${secretAccessKey}\r\n`);

    const who = await signedRequest(t, { accessKeyId, secretAccessKey }, 'GET', '/v1/caller-identity');
    expect(who.status, JSON.stringify(who.body)).toBe(200);
    expect(who.body.arn).toBe(`arn:aws:iam::${a.accountId}:user/${u.userName}`);

    // Presigned query form too.
    const pre = await signedRequest(t, { accessKeyId, secretAccessKey }, 'GET', '/v1/caller-identity', { presign: true });
    expect(pre.status, JSON.stringify(pre.body)).toBe(200);

    // The same REST API, the same policies: own keys yes, the user list no.
    const own = await signedRequest(t, { accessKeyId, secretAccessKey }, 'GET', keysUrl(a.accountId, u.userName), { service: 'iam' });
    expect(own.status).toBe(200);
    expect((await signedRequest(t, { accessKeyId, secretAccessKey }, 'GET', `/v1/accounts/${a.accountId}/users`)).status).toBe(403);

    // The secret is never shown again: list, last-used, report, audit.
    const list = await t.http.get(keysUrl(a.accountId, u.userName)).set(bearer(a.rootToken));
    const report = await t.http.get(`/v1/accounts/${a.accountId}/access-key-report`).set(bearer(a.rootToken));
    const lastUsed = await t.http.get(`${keysUrl(a.accountId, u.userName)}/${accessKeyId}/last-used`).set(bearer(a.rootToken));
    const audit = await t.prisma.auditEvent.findMany({ where: { chain: a.accountId } });
    for (const body of [list.body, report.body, lastUsed.body, audit.map((r) => ({ ...r, id: String(r.id), seq: String(r.seq) }))]) {
      expect(JSON.stringify(body)).not.toContain(secretAccessKey);
    }
    expect(list.body.accessKeyMetadata[0]).toMatchObject({ accessKeyId, status: 'Active', ageDays: 0, exceedsMaxAge: false });
  });

  it('offers the create response as a CSV download', async () => {
    const u = await newUser();
    const res = await t.http.post(`${keysUrl(a.accountId, u.userName)}?format=csv`).set(bearer(a.rootToken));
    expect(res.status).toBe(201);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    expect(res.text).toMatch(/^Access key ID,Secret access key\r\nAKIA[A-Z2-7]{16},[A-Za-z0-9+/]{40}\r\n$/);
  });

  it('allows at most two keys per user, inactive ones included, even under 20 parallel creates', async () => {
    const u = await newUser();
    const url = keysUrl(a.accountId, u.userName);
    const first = await t.http.post(url).set(bearer(a.rootToken));
    expect(first.status).toBe(201);
    await t.http.patch(`${url}/${first.body.accessKey.accessKeyId}`).set(bearer(a.rootToken)).send({ status: 'Inactive' });
    const results = await Promise.all(Array.from({ length: 20 }, () => t.http.post(url).set(bearer(a.rootToken))));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(19);
    expect(results.find((r) => r.status === 409)!.body.error.code).toBe('LimitExceeded');
    expect((await t.http.get(url).set(bearer(a.rootToken))).body.accessKeyMetadata).toHaveLength(2);
  });

  it('deactivates, refuses to delete an active key, checks the confirmation, deletes permanently', async () => {
    const u = await newUser();
    const url = keysUrl(a.accountId, u.userName);
    const k = (await t.http.post(url).set(bearer(a.rootToken))).body.accessKey;
    const keys = { accessKeyId: k.accessKeyId, secretAccessKey: k.secretAccessKey };
    const del1 = await t.http.delete(`${url}/${k.accessKeyId}`).set(bearer(a.rootToken));
    expect(del1.status).toBe(409);
    expect(del1.body.error.code).toBe('DeleteConflict');
    expect(del1.body.error.message).toMatch(/deactivate/i);

    expect((await t.http.patch(`${url}/${k.accessKeyId}`).set(bearer(a.rootToken)).send({ status: 'Inactive' })).status).toBe(200);
    // Inactive keys stop authenticating at once on this instance.
    const refused = await signedRequest(t, keys, 'GET', '/v1/caller-identity');
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('InvalidClientTokenId');
    // Reactivate and it works again.
    expect((await t.http.patch(`${url}/${k.accessKeyId}`).set(bearer(a.rootToken)).send({ status: 'Active' })).status).toBe(200);
    expect((await signedRequest(t, keys, 'GET', '/v1/caller-identity')).status).toBe(200);
    await t.http.patch(`${url}/${k.accessKeyId}`).set(bearer(a.rootToken)).send({ status: 'Inactive' });

    const wrongConfirm = await t.http.delete(`${url}/${k.accessKeyId}`).set(bearer(a.rootToken)).send({ confirmAccessKeyId: 'AKIANOTTHISKEY000000' });
    expect(wrongConfirm.status).toBe(400);
    expect((await t.http.delete(`${url}/${k.accessKeyId}`).set(bearer(a.rootToken)).send({ confirmAccessKeyId: k.accessKeyId })).status).toBe(204);
    expect((await t.http.get(url).set(bearer(a.rootToken))).body.accessKeyMetadata).toHaveLength(0);
    const gone = await signedRequest(t, keys, 'GET', '/v1/caller-identity');
    expect(gone.body.error.code).toBe('InvalidClientTokenId');
    expect((await t.http.delete(`${url}/${k.accessKeyId}`).set(bearer(a.rootToken))).status).toBe(404);
  });

  it('rejects bad signatures with AWS codes and audits the attempts', async () => {
    const u = await newUser();
    const k = (await t.http.post(keysUrl(a.accountId, u.userName)).set(bearer(a.rootToken))).body.accessKey;
    const good = { accessKeyId: k.accessKeyId, secretAccessKey: k.secretAccessKey };
    const wrongSecret = await signedRequest(t, { ...good, secretAccessKey: 'x'.repeat(40) }, 'GET', '/v1/caller-identity');
    expect(wrongSecret.status).toBe(403);
    expect(wrongSecret.body.error.code).toBe('SignatureDoesNotMatch');
    const unknown = await signedRequest(t, { accessKeyId: 'AKIAAAAAAAAAAAAAAAAA', secretAccessKey: good.secretAccessKey }, 'GET', '/v1/caller-identity');
    expect(unknown.body.error.code).toBe('InvalidClientTokenId');
    const old = await signedRequest(t, good, 'GET', '/v1/caller-identity', { signingDate: new Date(Date.now() - 10 * 60_000) });
    expect(old.status).toBeGreaterThanOrEqual(400);
    expect(old.status).toBeLessThan(500);
    const tampered = await signedRequest(t, good, 'POST', `/v1/accounts/${a.accountId}/users`, { body: { userName: 'x' }, tamper: (h) => (h['x-amz-content-sha256'] = 'a'.repeat(64)) });
    expect(tampered.status).toBe(400);
    expect(tampered.body.error.code).toBe('XAmzContentSHA256Mismatch');
    const denied = await t.prisma.auditEvent.findMany({ where: { chain: a.accountId, outcome: 'denied', action: 'sts:AuthenticateRequest' } });
    expect(denied.length).toBeGreaterThan(0);
    expect(JSON.stringify(denied.map((d) => d.details))).not.toContain(good.secretAccessKey);
  });

  it('records last use (time, service, region) once a minute at most', async () => {
    const u = await newUser();
    const k = (await t.http.post(keysUrl(a.accountId, u.userName)).set(bearer(a.rootToken))).body.accessKey;
    await signedRequest(t, k, 'GET', '/v1/caller-identity', { region: 'eu-west-1', service: 'sts' });
    let used: { lastUsed: { date: string | null; serviceName: string; region: string } } | undefined;
    for (let i = 0; i < 50; i++) {
      used = (await t.http.get(`${keysUrl(a.accountId, u.userName)}/${k.accessKeyId}/last-used`).set(bearer(a.rootToken))).body;
      if (used?.lastUsed.date) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(used!.lastUsed).toMatchObject({ serviceName: 'sts', region: 'eu-west-1' });
  });

  it('locks root access keys by default, with an explicit opt-out', async () => {
    const locked = await t.http.post(`/v1/accounts/${a.accountId}/root/access-keys`).set(bearer(a.rootToken));
    expect(locked.status).toBe(403);
    expect(locked.body.error.message).toMatch(/locked/);
    expect((await t.http.patch(`/v1/accounts/${a.accountId}`).set(bearer(a.rootToken)).send({ lockRootAccessKeys: false })).status).toBe(200);
    const k = (await t.http.post(`/v1/accounts/${a.accountId}/root/access-keys`).set(bearer(a.rootToken))).body.accessKey;
    const who = await signedRequest(t, k, 'GET', '/v1/caller-identity');
    expect(who.body.arn).toBe(`arn:aws:iam::${a.accountId}:root`);
    // Locking again: existing root keys stop authenticating (within the cache's half second).
    await t.http.patch(`/v1/accounts/${a.accountId}`).set(bearer(a.rootToken)).send({ lockRootAccessKeys: true });
    await new Promise((r) => setTimeout(r, 600));
    expect((await signedRequest(t, k, 'GET', '/v1/caller-identity')).body.error?.code).toBe('InvalidClientTokenId');
    // An admin cannot manage root's keys.
    const admin = await newUser([ADMIN]);
    expect((await t.http.get(`/v1/accounts/${a.accountId}/root/access-keys`).set(bearer(admin.token))).status).toBe(403);
  });

  it('flags keys older than the account maximum in listings and the report', async () => {
    const u = await newUser();
    const k = (await t.http.post(keysUrl(a.accountId, u.userName)).set(bearer(a.rootToken))).body.accessKey;
    await t.prisma.accessKey.update({ where: { id: k.accessKeyId }, data: { createdAt: new Date(Date.now() - 100 * 86_400_000) } });
    await t.http.patch(`/v1/accounts/${a.accountId}`).set(bearer(a.rootToken)).send({ maxAccessKeyAgeDays: 90 });
    const list = await t.http.get(keysUrl(a.accountId, u.userName)).set(bearer(a.rootToken));
    expect(list.body.accessKeyMetadata[0]).toMatchObject({ ageDays: 100, exceedsMaxAge: true });
    const report = await t.http.get(`/v1/accounts/${a.accountId}/access-key-report`).set(bearer(a.rootToken));
    expect(report.body.overdue).toContain(k.accessKeyId);
    await t.http.patch(`/v1/accounts/${a.accountId}`).set(bearer(a.rootToken)).send({ maxAccessKeyAgeDays: null });
  });

  it('manage-own-credentials works on oneself and not on another user', async () => {
    const alice = await newUser([MANAGE_OWN]);
    const bob = await newUser([MANAGE_OWN]);
    expect((await t.http.post(keysUrl(a.accountId, alice.userName)).set(bearer(alice.token))).status).toBe(201);
    expect((await t.http.post(keysUrl(a.accountId, bob.userName)).set(bearer(alice.token))).status).toBe(403);
    expect((await t.http.get(keysUrl(a.accountId, bob.userName)).set(bearer(alice.token))).status).toBe(403);
  });

  it('another account cannot list, create, change or delete keys, nor use them in its path', async () => {
    const b = await accountWithRoot(t);
    const u = await newUser();
    const url = keysUrl(a.accountId, u.userName);
    const k = (await t.http.post(url).set(bearer(a.rootToken))).body.accessKey;
    const bAdmin = (await (async () => {
      const name = uniq('badmin-');
      await t.http.post(`/v1/accounts/${b.accountId}/users`).set(bearer(b.rootToken)).send({ userName: name });
      await t.http.post(`/v1/accounts/${b.accountId}/users/${name}/attached-policies`).set(bearer(b.rootToken)).send({ policyArn: ADMIN });
      return (await t.http.post(`/v1/accounts/${b.accountId}/users/${name}/access-keys`).set(bearer(b.rootToken))).body.accessKey;
    })()) as { accessKeyId: string; secretAccessKey: string };
    for (const token of [b.rootToken]) {
      for (const [m, p, body] of [
        ['get', url, undefined],
        ['post', url, undefined],
        ['patch', `${url}/${k.accessKeyId}`, { status: 'Inactive' }],
        ['delete', `${url}/${k.accessKeyId}`, undefined],
        ['get', `${url}/${k.accessKeyId}/last-used`, undefined],
        ['get', `/v1/accounts/${a.accountId}/access-key-report`, undefined],
      ] as const) {
        const r = await t.http[m](p).set(bearer(token)).send(body as object | undefined);
        expect(r.status, `${m} ${p}`).toBe(404);
        expect(r.body.error.code).toBe('NoSuchEntity');
      }
    }
    // B's administrator signing with SigV4 is just as blind.
    expect((await signedRequest(t, bAdmin, 'GET', url, { service: 'iam' })).status).toBe(404);
    expect((await signedRequest(t, bAdmin, 'PATCH', `${url}/${k.accessKeyId}`, { service: 'iam', body: { status: 'Inactive' } })).status).toBe(404);
    // Nothing changed in A.
    const after = await t.http.get(url).set(bearer(a.rootToken));
    expect(after.body.accessKeyMetadata).toEqual([expect.objectContaining({ accessKeyId: k.accessKeyId, status: 'Active' })]);
  });
});
