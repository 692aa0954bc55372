import { IAMClient, ListAccessKeysCommand } from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountWithRoot, bearer, type TestAccount } from '../support/factories.js';
import { freeLoopbackPort, mirroredAwsUser, MOTO_ACCESS_KEY_ID, MOTO_REGION, MOTO_SECRET_ACCESS_KEY, startMoto, type Moto } from '../support/moto.js';
import { DB_KIND, startTestApp, uniq, type TestApp } from '../support/test-app.js';

/** Upstream mode: a mirrored user's keys live in AWS IAM (moto here), with the broker's rules on top. */
describe(`access keys of AWS-mirrored users, against moto (${DB_KIND})`, () => {
  let moto: Moto;
  let t: TestApp;
  let down: TestApp;
  let a: TestAccount;
  let iam: IAMClient;

  beforeAll(async () => {
    moto = await startMoto();
    process.env.AWS_ACCESS_KEY_ID = MOTO_ACCESS_KEY_ID;
    process.env.AWS_SECRET_ACCESS_KEY = MOTO_SECRET_ACCESS_KEY;
    t = await startTestApp({ AWS_UPSTREAM_ENDPOINT: moto.endpoint, AWS_UPSTREAM_REGION: MOTO_REGION });
    // An instance whose AWS endpoint is a closed loopback port: AWS "unreachable".
    down = await startTestApp({ AWS_UPSTREAM_ENDPOINT: `http://127.0.0.1:${await freeLoopbackPort()}`, AWS_UPSTREAM_MAX_ATTEMPTS: '2', AWS_UPSTREAM_TIMEOUT_MS: '500' }, { driver: t.driver });
    a = await accountWithRoot(t);
    expect((await t.http.put(`/v1/accounts/${a.accountId}/aws-link`).set(bearer(t.operatorToken)).send({ awsAccountId: '123456789012' })).status).toBe(200);
    iam = new IAMClient({ endpoint: moto.endpoint, region: MOTO_REGION, credentials: { accessKeyId: MOTO_ACCESS_KEY_ID, secretAccessKey: MOTO_SECRET_ACCESS_KEY } });
  });
  afterAll(async () => {
    await down?.close();
    await t?.close();
    await moto?.stop();
  });

  async function mirrored() {
    const name = uniq('mirror-');
    await mirroredAwsUser(moto.endpoint, name);
    const r = await t.http.post(`/v1/accounts/${a.accountId}/users`).set(bearer(a.rootToken)).send({ userName: name, awsUserName: name });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return name;
  }
  const inAws = async (user: string) => (await iam.send(new ListAccessKeysCommand({ UserName: user }))).AccessKeyMetadata ?? [];

  it('runs create, list, deactivate, delete through AWS IAM, with the broker limits and audit', async () => {
    const user = await mirrored();
    const url = `/v1/accounts/${a.accountId}/users/${user}/access-keys`;
    const k = (await t.http.post(url).set(bearer(a.rootToken))).body.accessKey;
    expect(k.accessKeyId).toMatch(/^AKIA/);
    expect(k.secretAccessKey).toHaveLength(40);
    expect(k.source).toBe('aws');
    expect((await inAws(user)).map((m) => m.AccessKeyId)).toEqual([k.accessKeyId]);
    // The broker keeps no secret for upstream keys.
    expect((await t.prisma.accessKey.findUnique({ where: { id: k.accessKeyId } }))!.secretCiphertext).toBeNull();

    await t.http.post(url).set(bearer(a.rootToken));
    const third = await t.http.post(url).set(bearer(a.rootToken));
    expect(third.status).toBe(409);
    expect(third.body.error.code).toBe('LimitExceeded');
    expect(await inAws(user)).toHaveLength(2);

    expect((await t.http.delete(`${url}/${k.accessKeyId}`).set(bearer(a.rootToken))).status).toBe(409);
    expect((await t.http.patch(`${url}/${k.accessKeyId}`).set(bearer(a.rootToken)).send({ status: 'Inactive' })).status).toBe(200);
    expect((await inAws(user)).find((m) => m.AccessKeyId === k.accessKeyId)?.Status).toBe('Inactive');
    expect((await t.http.get(`${url}/${k.accessKeyId}/last-used`).set(bearer(a.rootToken))).status).toBe(200);
    expect((await t.http.delete(`${url}/${k.accessKeyId}`).set(bearer(a.rootToken))).status).toBe(204);
    expect((await inAws(user)).map((m) => m.AccessKeyId)).not.toContain(k.accessKeyId);
    const audit = await t.prisma.auditEvent.findMany({ where: { chain: a.accountId, action: { in: ['iam:CreateAccessKey', 'iam:UpdateAccessKey', 'iam:DeleteAccessKey'] } } });
    expect(audit.length).toBeGreaterThanOrEqual(4);
    expect(JSON.stringify(audit.map((r) => r.details))).not.toContain(k.secretAccessKey);
  });

  it('answers 503 when AWS is unreachable and leaves nothing half-done', async () => {
    const user = await mirrored();
    const url = `/v1/accounts/${a.accountId}/users/${user}/access-keys`;
    const r = await down.http.post(url).set(bearer(a.rootToken));
    expect(r.status, JSON.stringify(r.body)).toBe(503);
    expect(r.body.error.code).toBe('UpstreamUnavailable');
    expect(await t.prisma.accessKey.count({ where: { accountId: a.accountId, user: { name: user } } })).toBe(0);
    expect(await inAws(user)).toHaveLength(0);

    const k = (await t.http.post(url).set(bearer(a.rootToken))).body.accessKey;
    const upd = await down.http.patch(`${url}/${k.accessKeyId}`).set(bearer(a.rootToken)).send({ status: 'Inactive' });
    expect(upd.status).toBe(503);
    const row = await t.prisma.accessKey.findUnique({ where: { id: k.accessKeyId } });
    expect(row!.status).toBe('Active');
  });

  it('translates AWS errors: a mirrored user missing in AWS is NoSuchEntity', async () => {
    const name = uniq('ghost-');
    await t.http.post(`/v1/accounts/${a.accountId}/users`).set(bearer(a.rootToken)).send({ userName: name, awsUserName: name });
    const r = await t.http.post(`/v1/accounts/${a.accountId}/users/${name}/access-keys`).set(bearer(a.rootToken));
    expect(r.status).toBe(404);
    expect(r.body.error.code).toBe('NoSuchEntity');
    expect(await t.prisma.accessKey.count({ where: { accountId: a.accountId, user: { name } } })).toBe(0);
  });
});
