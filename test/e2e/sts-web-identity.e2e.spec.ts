import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountWithRoot, bearer, bigintSafe, READ_ONLY, type TestAccount } from '../support/factories.js';
import { startOidcIssuer, type TestOidcIssuer } from '../support/oidc-issuer.js';
import { signedRequest } from '../support/sigv4-client.js';
import { keysOf, role } from '../support/sts.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const AUD = 'sts.amazonaws.com';
const SUB = 'repo:acme/app:ref:refs/heads/main';

/** A CI job's OIDC token exchanged for a scoped session (AssumeRoleWithWebIdentity). */
describe('STS AssumeRoleWithWebIdentity', () => {
  let t: TestApp;
  let a: TestAccount;
  let idp: TestOidcIssuer;
  let other: TestOidcIssuer;
  let host: string;
  let ci: { arn: string; roleName: string; roleId: string };

  beforeAll(async () => {
    [t, idp, other] = await Promise.all([startTestApp(), startOidcIssuer(), startOidcIssuer()]);
    a = await accountWithRoot(t);
    const p = await t.http.post(`/v1/accounts/${a.accountId}/oidc-providers`).set(bearer(a.rootToken)).send({ url: idp.url, clientIdList: [AUD] });
    expect(p.status, JSON.stringify(p.body)).toBe(201);
    host = idp.url.replace(/^https?:\/\//, '');
    ci = await role(
      t,
      a,
      {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { Federated: p.body.arn },
            Action: 'sts:AssumeRoleWithWebIdentity',
            Condition: { StringEquals: { [`${host}:aud`]: AUD }, StringLike: { [`${host}:sub`]: 'repo:acme/app:*', [`${host}:environment`]: 'prod*' } },
          },
        ],
      },
      { policies: [READ_ONLY], claimMapping: { sessionTags: { repository: 'repository', ref: 'ref', run_id: 'run_id' }, sourceIdentity: 'actor' } },
    );
  });
  afterAll(async () => {
    await Promise.all([t?.close(), idp?.close(), other?.close()]);
  });

  const exchange = (WebIdentityToken: string, extra: Record<string, unknown> = {}) =>
    t.http.post('/v1/sts/assume-role-with-web-identity').send({ RoleArn: ci.arn, RoleSessionName: 'ci-run', WebIdentityToken, ...extra });
  const claims = (over: Record<string, unknown> = {}) => ({ sub: SUB, aud: AUD, repository: 'acme/app', ref: 'refs/heads/main', environment: 'production', run_id: 4711, actor: 'octocat', ...over });

  it('exchanges a valid token without broker credentials; claims become tags and the source identity', async () => {
    const token = await idp.issueToken(claims());
    const r = await exchange(token, { DurationSeconds: 900 });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({
      SubjectFromWebIdentityToken: SUB,
      Audience: AUD,
      Provider: expect.stringContaining(':oidc-provider/'),
      SourceIdentity: 'octocat',
      AssumedRoleUser: { Arn: `arn:aws:sts::${a.accountId}:assumed-role/${ci.roleName}/ci-run`, AssumedRoleId: `${ci.roleId}:ci-run` },
    });
    const k = keysOf(r.body);
    const me = await signedRequest(t, k, 'GET', '/v1/sts/get-caller-identity');
    expect(me.body.Arn).toBe(r.body.AssumedRoleUser.Arn);
    expect((await signedRequest(t, k, 'GET', `/v1/accounts/${a.accountId}/users`)).status).toBe(200);
    expect((await signedRequest(t, k, 'POST', `/v1/accounts/${a.accountId}/users`, { body: { userName: 'nope' } })).status).toBe(403);
    const row = await t.prisma.stsSession.findUnique({ where: { accessKeyId: k.accessKeyId } });
    expect(row).toMatchObject({ sourceIdentity: 'octocat', tags: { repository: 'acme/app', ref: 'refs/heads/main', run_id: '4711' } });
    // The token never lands in the audit trail.
    const audit = bigintSafe(await t.prisma.auditEvent.findMany({ where: { chain: a.accountId } }));
    expect(audit).not.toContain(token);
    expect(audit).toContain('sts:AssumeRoleWithWebIdentity');
  });

  it('a session policy scopes the CI session further', async () => {
    const r = await exchange(await idp.issueToken(claims()), { Policy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iam:GetUser', Resource: '*' }] }) });
    expect(r.status).toBe(200);
    expect((await signedRequest(t, keysOf(r.body), 'GET', `/v1/accounts/${a.accountId}/users`)).status).toBe(403);
  });

  it('refuses a token whose sub or claims do not match the trust policy, and audits why', async () => {
    for (const bad of [claims({ sub: 'repo:evil/app:ref:refs/heads/main' }), claims({ environment: 'staging' }), claims({ environment: undefined })]) {
      const r = await exchange(await idp.issueToken(bad));
      expect(r.status).toBe(403);
      expect(r.body.error.code).toBe('AccessDenied');
    }
    const denied = await t.prisma.auditEvent.findMany({ where: { chain: a.accountId, action: 'sts:AssumeRoleWithWebIdentity', outcome: 'denied' } });
    expect(denied.length).toBeGreaterThanOrEqual(3);
    expect(bigintSafe(denied)).toContain('repo:evil/app');
  });

  it('refuses expired tokens, foreign issuers, unknown keys, wrong audiences and garbage', async () => {
    const expired = await exchange(await idp.issueToken(claims(), { expiresIn: -60 }));
    expect(expired.status).toBe(403);
    expect(expired.body.error.code).toBe('ExpiredToken');
    const foreign = await exchange(await other.issueToken(claims()));
    expect(foreign.status).toBe(400);
    expect(foreign.body.error.code).toBe('InvalidIdentityToken');
    const unknownKey = await exchange(await idp.issueToken(claims(), { key: 'unknown' }));
    expect(unknownKey.status).toBe(400);
    expect(unknownKey.body.error.code).toBe('InvalidIdentityToken');
    const wrongAud = await exchange(await idp.issueToken(claims({ aud: 'someone-else' })));
    expect(wrongAud.status).toBe(400);
    expect(wrongAud.body.error.code).toBe('InvalidIdentityToken');
    for (const junk of ['abcd', 'a.b.c', 'x'.repeat(20_001)]) {
      const r = await exchange(junk);
      expect(r.status, junk.slice(0, 10)).toBe(400);
      expect(JSON.stringify(r.body)).not.toContain(junk.length > 10 ? junk.slice(0, 50) : 'a.b.c');
    }
  });

  it('an unknown role and a role that does not trust the provider answer the same', async () => {
    const token = await idp.issueToken(claims());
    const missing = await t.http.post('/v1/sts/assume-role-with-web-identity').send({ RoleArn: `arn:aws:iam::${a.accountId}:role/nope`, RoleSessionName: 'ci-run', WebIdentityToken: token });
    expect(missing.status).toBe(403);
    const plain = await role(t, a, { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: a.accountId }, Action: 'sts:AssumeRole' }] });
    const untrusted = await t.http.post('/v1/sts/assume-role-with-web-identity').send({ RoleArn: plain.arn, RoleSessionName: 'ci-run', WebIdentityToken: token });
    expect(untrusted.status).toBe(403);
    expect(untrusted.body.error.message).toBe(missing.body.error.message);
  });

  it('validates the request', async () => {
    const token = await idp.issueToken(claims());
    expect((await exchange(token, { RoleSessionName: 'x' })).status).toBe(400);
    expect((await exchange(token, { DurationSeconds: 3601 })).status).toBe(400);
    expect((await t.http.post('/v1/sts/assume-role-with-web-identity').send({ RoleArn: ci.arn })).status).toBe(400);
    expect((await t.http.post('/v1/sts/assume-role-with-web-identity').set('content-type', 'application/json').send('{bad')).status).toBe(400);
  });
});
