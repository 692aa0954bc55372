import { CreateRoleCommand, GetRolePolicyCommand, IAMClient } from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountWithRoot, bearer, bigintSafe, type TestAccount } from '../support/factories.js';
import { freeLoopbackPort, MOTO_ACCESS_KEY_ID, MOTO_REGION, MOTO_SECRET_ACCESS_KEY, startMoto, type Moto } from '../support/moto.js';
import { signedRequest } from '../support/sigv4-client.js';
import { allow, policyDoc, role, trustPolicy, userWithKey } from '../support/sts.js';
import { DB_KIND, startTestApp, uniq, type TestApp } from '../support/test-app.js';

const AWS_ACCOUNT = '123456789012';

/** Upstream issuer: roles bound to an AWS role hand out AWS's credentials (moto here), with the broker's rules on top. */
describe(`STS upstream issuer against moto (${DB_KIND})`, () => {
  let moto: Moto;
  let t: TestApp;
  let down: TestApp;
  let noCache: TestApp;
  let a: TestAccount;
  let iam: IAMClient;
  const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };

  beforeAll(async () => {
    moto = await startMoto();
    process.env.AWS_ACCESS_KEY_ID = MOTO_ACCESS_KEY_ID;
    process.env.AWS_SECRET_ACCESS_KEY = MOTO_SECRET_ACCESS_KEY;
    t = await startTestApp({ AWS_UPSTREAM_ENDPOINT: moto.endpoint, AWS_UPSTREAM_REGION: MOTO_REGION });
    down = await startTestApp({ AWS_UPSTREAM_ENDPOINT: `http://127.0.0.1:${await freeLoopbackPort()}`, AWS_UPSTREAM_MAX_ATTEMPTS: '2', AWS_UPSTREAM_TIMEOUT_MS: '500' }, { driver: t.driver });
    noCache = await startTestApp({ AWS_UPSTREAM_ENDPOINT: moto.endpoint, AWS_UPSTREAM_REGION: MOTO_REGION, AWS_UPSTREAM_STS_CACHE: 'false' }, { driver: t.driver });
    a = await accountWithRoot(t);
    expect((await t.http.put(`/v1/accounts/${a.accountId}/aws-link`).set(bearer(t.operatorToken)).send({ awsAccountId: AWS_ACCOUNT })).status).toBe(200);
    iam = new IAMClient({ endpoint: moto.endpoint, region: MOTO_REGION, credentials: { accessKeyId: MOTO_ACCESS_KEY_ID, secretAccessKey: MOTO_SECRET_ACCESS_KEY } });
  });
  afterAll(async () => {
    await noCache?.close();
    await down?.close();
    await t?.close();
    await moto?.stop();
    process.env.AWS_ACCESS_KEY_ID = saved.id;
    process.env.AWS_SECRET_ACCESS_KEY = saved.secret;
  });

  /** An AWS role in moto, a broker role bound to it, and a user allowed to assume it. */
  async function bound() {
    const awsName = uniq('aws-role-');
    const aws = await iam.send(new CreateRoleCommand({ RoleName: awsName, AssumeRolePolicyDocument: JSON.stringify(trustPolicy(AWS_ACCOUNT)) }));
    const r = await role(t, a, trustPolicy(a.accountId), { awsRoleArn: aws.Role!.Arn! });
    const u = await userWithKey(t, a, policyDoc([allow('sts:AssumeRole')]));
    return { awsName, awsArn: aws.Role!.Arn!, role: r, user: u };
  }

  it('AssumeRole on a bound role returns AWS credentials, recorded and audited without the secret', async () => {
    const b = await bound();
    const r = await signedRequest(t, b.user.keys, 'POST', '/v1/sts/assume-role', { body: { RoleArn: b.role.arn, RoleSessionName: 'deploy', DurationSeconds: 900 } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.Credentials.AccessKeyId).toMatch(/^ASIA/);
    expect(r.body.AssumedRoleUser.Arn).toBe(`arn:aws:sts::${AWS_ACCOUNT}:assumed-role/${b.awsName}/deploy`);
    const row = await t.prisma.stsSession.findUnique({ where: { accessKeyId: r.body.Credentials.AccessKeyId } });
    expect(row).toMatchObject({ issuer: 'aws', secretCiphertext: null, tokenHash: null, roleId: b.role.roleId, callerArn: b.user.arn });
    const audit = await t.prisma.auditEvent.findMany({ where: { chain: a.accountId, action: 'sts:AssumeRole', outcome: 'success' } });
    const rec = audit.find((e) => (e.details as Record<string, unknown>).issuedAccessKeyId === r.body.Credentials.AccessKeyId);
    expect((rec!.details as Record<string, unknown>).issuer).toBe('aws');
    expect(bigintSafe(audit)).not.toContain(r.body.Credentials.SecretAccessKey);
    // The broker's own rules still apply first: a caller its trust policy refuses never reaches AWS.
    const stranger = await userWithKey(t, a);
    expect((await signedRequest(t, stranger.keys, 'POST', '/v1/sts/assume-role', { body: { RoleArn: b.role.arn, RoleSessionName: 'deploy' } })).status).toBe(403);
    // Broker customer managed policies cannot be passed to AWS.
    const custom = await signedRequest(t, b.user.keys, 'POST', '/v1/sts/assume-role', { body: { RoleArn: b.role.arn, RoleSessionName: 'deploy', PolicyArns: [{ arn: `arn:aws:iam::${a.accountId}:policy/mine` }] } });
    expect(custom.status).toBe(400);
  });

  it('identical concurrent requests share one upstream call; another session policy gets its own; the off switch stops reuse', async () => {
    const b = await bound();
    // 1 h: reuse needs at least 15 min left (AWS_UPSTREAM_STS_CACHE_MIN_REMAINING_SECONDS).
    const body = { RoleArn: b.role.arn, RoleSessionName: 'shared', DurationSeconds: 3600 };
    const all = await Promise.all(Array.from({ length: 20 }, () => signedRequest(t, b.user.keys, 'POST', '/v1/sts/assume-role', { body })));
    for (const r of all) expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(new Set(all.map((r) => r.body.Credentials.AccessKeyId)).size).toBe(1);
    const later = await signedRequest(t, b.user.keys, 'POST', '/v1/sts/assume-role', { body });
    expect(later.body.Credentials.AccessKeyId).toBe(all[0]!.body.Credentials.AccessKeyId);
    const scoped = await signedRequest(t, b.user.keys, 'POST', '/v1/sts/assume-role', { body: { ...body, Policy: JSON.stringify(policyDoc([allow('s3:GetObject')])) } });
    expect(scoped.body.Credentials.AccessKeyId).not.toBe(all[0]!.body.Credentials.AccessKeyId);
    // Each hand-out is audited; the credential is recorded once.
    expect(await t.prisma.stsSession.count({ where: { accessKeyId: all[0]!.body.Credentials.AccessKeyId } })).toBe(1);

    const one = await signedRequest(noCache, b.user.keys, 'POST', '/v1/sts/assume-role', { body });
    const two = await signedRequest(noCache, b.user.keys, 'POST', '/v1/sts/assume-role', { body });
    expect(one.body.Credentials.AccessKeyId).not.toBe(two.body.Credentials.AccessKeyId);
  });

  it('AWS unreachable: a clear 503, nothing recorded as issued, the failure audited', async () => {
    const b = await bound();
    const before = await t.prisma.stsSession.count({ where: { roleId: b.role.roleId } });
    const r = await signedRequest(down, b.user.keys, 'POST', '/v1/sts/assume-role', { body: { RoleArn: b.role.arn, RoleSessionName: 'down' } });
    expect(r.status).toBe(503);
    expect(r.body.error.code).toBe('UpstreamUnavailable');
    expect(await t.prisma.stsSession.count({ where: { roleId: b.role.roleId } })).toBe(before);
    const rec = await t.prisma.auditEvent.findFirst({ where: { chain: a.accountId, action: 'sts:AssumeRole', outcome: 'error', errorCode: 'UpstreamUnavailable' } });
    expect(rec).not.toBeNull();
  });

  it('revoking a bound role records it, puts the deny-older-sessions policy on the AWS role and stops reuse', async () => {
    const b = await bound();
    const body = { RoleArn: b.role.arn, RoleSessionName: 'rev', DurationSeconds: 3600 };
    const first = await signedRequest(t, b.user.keys, 'POST', '/v1/sts/assume-role', { body });
    const rev = await t.http.post(`/v1/accounts/${a.accountId}/sts/revocations`).set(bearer(a.rootToken)).send({ roleName: b.role.roleName });
    expect(rev.status, JSON.stringify(rev.body)).toBe(200);
    expect(rev.body.revoked).toBe(1);
    expect(rev.body.upstream).toEqual([{ roleArn: b.role.arn, awsRoleArn: b.awsArn, applied: true }]);
    const pol = await iam.send(new GetRolePolicyCommand({ RoleName: b.awsName, PolicyName: 'AWSRevokeOlderSessions' }));
    expect(decodeURIComponent(pol.PolicyDocument!)).toContain('aws:TokenIssueTime');
    const row = await t.prisma.stsSession.findUnique({ where: { accessKeyId: first.body.Credentials.AccessKeyId } });
    expect(row?.revokedAt).not.toBeNull();
    const again = await signedRequest(t, b.user.keys, 'POST', '/v1/sts/assume-role', { body });
    expect(again.body.Credentials.AccessKeyId).not.toBe(first.body.Credentials.AccessKeyId);
  });
});
