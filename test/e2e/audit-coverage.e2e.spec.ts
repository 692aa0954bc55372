import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FailureAggregator } from '../../src/modules/audit/failure-aggregator.js';
import { accountWithRoot, bearer, bigintSafe, CHANGE_PASSWORD, codeAt, newIp, READ_ONLY, ROOT_PASSWORD, USER_PASSWORD, userWithPolicies } from '../support/factories.js';
import { signedRequest, type Keys } from '../support/sigv4-client.js';
import { allow, keysOf, policyDoc, role, trustPolicy, userWithKey } from '../support/sts.js';
import { DB_KIND, startTestApp, uniq, type TestApp } from '../support/test-app.js';

type Row = Awaited<ReturnType<TestApp['prisma']['auditEvent']['findMany']>>[number];

/**
 * What must be recorded (issue 5): every sign-in attempt, MFA and password
 * change, user/group/role/policy/key/provider change, credential issuance,
 * refusal and revocation, every failed authentication: each with its actor,
 * action, resource, outcome and client fields, and never a secret.
 */
describe(`audit coverage (${DB_KIND})`, () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ TRUST_PROXY: 'true' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('a representative flow leaves the right record for every step, and no secret in any field', async () => {
    const ip = newIp();
    const ua = `coverage-test/${uniq()}`;
    const secrets: string[] = [ROOT_PASSWORD, USER_PASSWORD];
    const a = await accountWithRoot(t);
    secrets.push(a.rootToken);
    const root = { ...bearer(a.rootToken), 'X-Forwarded-For': ip, 'User-Agent': ua };
    const acct = `/v1/accounts/${a.accountId}`;
    const ok = (res: { status: number; text: string }, status: number) => expect(res.status, res.text).toBe(status);

    // Sign-in: a failure and a success.
    const wrongPassword = `Wrong-${uniq()}-Pw!1`;
    secrets.push(wrongPassword);
    ok(await t.http.post('/v1/signin').set('X-Forwarded-For', ip).set('User-Agent', ua).send({ account: a.accountId, email: a.rootEmail, password: wrongPassword }), 401);
    const signedIn = await t.http.post('/v1/signin').set('X-Forwarded-For', ip).set('User-Agent', ua).send({ account: a.accountId, email: a.rootEmail, password: ROOT_PASSWORD });
    ok(signedIn, 200);
    secrets.push(signedIn.body.sessionToken);

    // Users, passwords, MFA.
    const pw = await userWithPolicies(t, a, [CHANGE_PASSWORD]);
    secrets.push(pw.token);
    const newPassword = `N3w-${uniq()}-Pw!`;
    secrets.push(newPassword);
    ok(await t.http.post(`${acct}/change-password`).set({ ...bearer(pw.token), 'X-Forwarded-For': ip }).send({ oldPassword: USER_PASSWORD, newPassword }), 204);
    const userName = uniq('cov-');
    ok(await t.http.post(`${acct}/users`).set(root).send({ userName }), 201);
    const loginPassword = `Login-${uniq()}-Pw!2`;
    secrets.push(loginPassword);
    ok(await t.http.post(`${acct}/users/${userName}/login-profile`).set(root).send({ password: loginPassword }), 201);
    const dev = await t.http.post(`${acct}/users/${userName}/mfa-devices`).set(root).send({ deviceName: `${userName}-phone` });
    ok(dev, 201);
    const seed = dev.body.base32StringSeed as string;
    const codes = [codeAt(seed, -1), codeAt(seed, 0)];
    secrets.push(seed);
    ok(await t.http.post(`${acct}/users/${userName}/mfa-devices/enable`).set(root).send({ serialNumber: dev.body.serialNumber, authenticationCode1: codes[0], authenticationCode2: codes[1] }), 201);

    // Groups, policies, roles, providers: create and delete.
    const groupName = uniq('g-');
    ok(await t.http.post(`${acct}/groups`).set(root).send({ groupName }), 201);
    ok(await t.http.delete(`${acct}/groups/${groupName}`).set(root), 204);
    const policyName = uniq('p-');
    ok(await t.http.post(`${acct}/policies`).set(root).send({ policyName, document: policyDoc([allow('s3:GetObject')]) }), 201);
    ok(await t.http.delete(`${acct}/policies/${policyName}`).set(root), 204);
    const doomed = await role(t, a, trustPolicy(a.accountId));
    ok(await t.http.delete(`${acct}/roles/${doomed.roleName}`).set(root), 204);
    const provider = await t.http.post(`${acct}/oidc-providers`).set(root).send({ url: `https://${uniq('idp-')}.example.com`, clientIdList: ['sts.amazonaws.com'] });
    ok(provider, 201);
    ok(await t.http.delete(`${acct}/oidc-providers/${provider.body.providerId}`).set(root), 204);

    // Keys, issuance (with a source identity), refusals, failed authentication, revocation.
    const r = await role(t, a, trustPolicy(a.accountId), { policies: [READ_ONLY] });
    const u = await userWithKey(t, a, policyDoc([allow(['sts:AssumeRole', 'sts:SetSourceIdentity'], r.arn)]));
    secrets.push(u.keys.secretAccessKey);
    const from = (h: Record<string, string>) => {
      h['x-forwarded-for'] = ip;
      h['user-agent'] = ua;
    };
    const assumed = await signedRequest(t, u.keys, 'POST', '/v1/sts/assume-role', { body: { RoleArn: r.arn, RoleSessionName: 'cov-session', SourceIdentity: 'alice' }, tamper: from });
    ok(assumed, 200);
    const session: Keys = keysOf(assumed.body);
    secrets.push(session.secretAccessKey, session.sessionToken!);
    // The role session is read-only: creating a user is refused (and audited with the session's fields).
    const refused = await signedRequest(t, session, 'POST', `${acct}/users`, { body: { userName: uniq('no-') }, tamper: from });
    ok(refused, 403);
    const wrongSecret = 'q'.repeat(40);
    ok(await signedRequest(t, { ...u.keys, secretAccessKey: wrongSecret }, 'GET', '/v1/caller-identity', { tamper: from }), 403);
    ok(await t.http.post(`${acct}/sts/revocations`).set(root).send({ accessKeyId: session.accessKeyId }), 200);
    ok(await t.http.patch(`${acct}/users/${u.userName}/access-keys/${u.keys.accessKeyId}`).set(root).send({ status: 'Inactive' }), 200);
    ok(await t.http.delete(`${acct}/users/${u.userName}/access-keys/${u.keys.accessKeyId}`).set(root).send({ confirmAccessKeyId: u.keys.accessKeyId }), 204);

    await t.app.get(FailureAggregator).flush();
    const rows = await t.prisma.auditEvent.findMany({ where: { chain: a.accountId }, orderBy: { seq: 'asc' } });
    const find = (action: string, outcome: string, more: Partial<Row> = {}) => {
      const hit = rows.find((x) => x.action === action && x.outcome === outcome && Object.entries(more).every(([k, v]) => (x as Record<string, unknown>)[k] === v));
      expect(hit, `${action} ${outcome} ${JSON.stringify(more)}\n${rows.map((x) => `${x.action} ${x.outcome} ${x.actorArn}`).join('\n')}`).toBeDefined();
      return hit!;
    };
    const rootArn = `arn:aws:iam::${a.accountId}:root`;
    const userArn = (n: string) => `arn:aws:iam::${a.accountId}:user/${n}`;

    const failed = find('signin:ConsoleLogin', 'denied', { sourceIp: ip, errorCode: 'InvalidCredentials' });
    expect(failed).toMatchObject({ actorArn: rootArn, actorType: 'Root', userAgent: ua });
    expect(find('signin:ConsoleLogin', 'success', { sourceIp: ip })).toMatchObject({ actorArn: rootArn, resourceArn: rootArn, mfa: false });
    expect(find('iam:ChangePassword', 'success')).toMatchObject({ actorArn: userArn(pw.userName), resourceArn: userArn(pw.userName), sourceIp: ip });
    expect(find('iam:CreateUser', 'success', { resourceArn: userArn(userName) })).toMatchObject({ actorArn: rootArn, userAgent: ua, sourceIp: ip });
    find('iam:CreateLoginProfile', 'success', { resourceArn: userArn(userName) });
    expect(find('iam:CreateVirtualMFADevice', 'success')).toMatchObject({ resourceArn: dev.body.serialNumber });
    expect(find('iam:EnableMFADevice', 'success')).toMatchObject({ resourceArn: dev.body.serialNumber, actorArn: rootArn });
    find('iam:CreateGroup', 'success');
    find('iam:DeleteGroup', 'success');
    find('iam:CreatePolicy', 'success');
    find('iam:DeletePolicy', 'success');
    find('iam:CreateRole', 'success', { resourceArn: doomed.arn });
    find('iam:DeleteRole', 'success', { resourceArn: doomed.arn });
    find('iam:CreateOpenIDConnectProvider', 'success');
    find('iam:DeleteOpenIDConnectProvider', 'success');
    const keyCreated = find('iam:CreateAccessKey', 'success', { resourceArn: u.arn });
    expect(keyCreated.details).toMatchObject({ accessKeyId: u.keys.accessKeyId });
    find('iam:UpdateAccessKey', 'success', { resourceArn: u.arn });
    find('iam:DeleteAccessKey', 'success', { resourceArn: u.arn });

    const issued = find('sts:AssumeRole', 'success', { sourceIp: ip });
    expect(issued).toMatchObject({ actorArn: u.arn, actorType: 'IAMUser', accessKeyId: u.keys.accessKeyId, resourceArn: r.arn, userAgent: ua });
    expect(issued.details).toMatchObject({ issuedAccessKeyId: session.accessKeyId, sessionName: 'cov-session', sourceIdentity: 'alice' });
    const denied = find('iam:CreateUser', 'denied', { sourceIp: ip });
    expect(denied).toMatchObject({
      errorCode: 'AccessDenied',
      actorType: 'AssumedRole',
      actorArn: `arn:aws:sts::${a.accountId}:assumed-role/${r.roleName}/cov-session`,
      accessKeyId: session.accessKeyId,
      sessionName: 'cov-session',
      sourceIdentity: 'alice',
    });
    expect(find('sts:AuthenticateRequest', 'denied', { sourceIp: ip })).toMatchObject({ errorCode: 'SignatureDoesNotMatch', accessKeyId: u.keys.accessKeyId, actorArn: u.arn });
    const revoked = find('sts:RevokeSessions', 'success');
    expect(revoked.details).toMatchObject({ revoked: 1, accessKeyIds: [session.accessKeyId] });

    // Every record carries its request ID and client address; the chain never holds a secret.
    for (const x of rows) {
      expect(x.requestId, x.action).toBeTruthy();
      expect(x.sourceIp, x.action).toBeTruthy();
    }
    const dump = bigintSafe([...rows, ...(await t.prisma.auditEvent.findMany({ where: { chain: 'platform', sourceIp: ip } }))]);
    for (const s of secrets) expect(dump, `a secret (${s.slice(0, 4)}…) is in the audit trail`).not.toContain(s);
    for (const c of codes) expect(dump).not.toContain(`"${c}"`);
  });
});
