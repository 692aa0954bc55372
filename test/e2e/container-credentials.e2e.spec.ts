import { createServer } from 'node:net';
import { fromContainerMetadata, fromHttp } from '@aws-sdk/credential-providers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/common/ids.js';
import { accountWithRoot, bearer, bigintSafe, READ_ONLY, type TestAccount } from '../support/factories.js';
import { signedRequest, type Keys } from '../support/sigv4-client.js';
import { allow, keysOf, policyDoc, role, trustPolicy, userWithKey } from '../support/sts.js';
import { DB_KIND, startTestApp, uniq, type TestApp } from '../support/test-app.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const TOKEN_ADMIN = ['sts:CreateContainerToken', 'sts:ListContainerTokens', 'sts:DeleteContainerToken'];

describe(`container credentials (${DB_KIND})`, () => {
  let t: TestApp;
  let a: TestAccount;
  let base: string;
  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    t = await startTestApp({ PUBLIC_URL: base });
    await t.app.listen(port, '127.0.0.1');
    a = await accountWithRoot(t);
  });
  afterAll(async () => {
    await t?.close();
  });

  const tokensUrl = (acct = a.accountId) => `/v1/accounts/${acct}/container-tokens`;
  const endpoint = (token?: string) => {
    const r = t.http.get('/v1/container-credentials');
    return token === undefined ? r : r.set('Authorization', token);
  };
  const whoami = (keys: Keys) => signedRequest(t, keys, 'GET', '/v1/sts/get-caller-identity');
  const asKeys = (c: { AccessKeyId: string; SecretAccessKey: string; Token: string }): Keys => ({ accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.Token });

  /** A user allowed to manage container tokens and to assume roles, and a read-only role trusting the account. */
  async function setup(userPolicy = policyDoc([allow([...TOKEN_ADMIN, 'sts:AssumeRole'])])) {
    const r = await role(t, a, trustPolicy(a.accountId), { policies: [READ_ONLY] });
    const u = await userWithKey(t, a, userPolicy);
    return { r, u };
  }

  async function createToken(keys: Keys, body: Record<string, unknown>, acct = a.accountId) {
    const res = await signedRequest(t, keys, 'POST', tokensUrl(acct), { body });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body as { id: string; name: string; roleArn: string; token: string; fullUri: string; createDate: string; expiresAt: string | null };
  }

  it('creates a token shown once, lists it without the token, stores only its hash, and audits', async () => {
    const { r, u } = await setup();
    const name = uniq('build-');
    const res = await signedRequest(t, u.keys, 'POST', tokensUrl(), { body: { name, roleArn: r.arn, durationSeconds: 1800, expiresInSeconds: 86_400 } });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.headers['cache-control']).toBe('no-store');
    const created = res.body;
    expect(created).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      name,
      roleArn: r.arn,
      token: expect.stringMatching(/^cbct_[A-Za-z0-9_-]{43}$/),
      fullUri: `${base}/v1/container-credentials`,
      createDate: expect.any(String),
      expiresAt: expect.any(String),
    });
    const ttl = Date.parse(created.expiresAt) - Date.now();
    expect(ttl).toBeGreaterThan(86_000_000);
    expect(ttl).toBeLessThanOrEqual(86_400_000);

    const list = await signedRequest(t, u.keys, 'GET', tokensUrl());
    expect(list.status).toBe(200);
    expect(list.body.fullUri).toBe(`${base}/v1/container-credentials`);
    const mine = list.body.containerTokens.find((x: { id: string }) => x.id === created.id);
    expect(mine).toMatchObject({ id: created.id, name, roleArn: r.arn, durationSeconds: 1800, status: 'Active', policy: null, policyArns: [], revokedAt: null, lastUsedAt: null });
    expect(mine).not.toHaveProperty('token');

    const row = await t.prisma.containerToken.findUnique({ where: { id: created.id } });
    expect(row!.tokenHash).toBe(sha256Hex(created.token));
    const audit = await t.prisma.auditEvent.findMany({ where: { chain: a.accountId, action: { startsWith: 'sts:' } } });
    expect(audit.some((e) => e.action === 'sts:CreateContainerToken' && e.actorArn === u.arn && e.resourceArn === r.arn)).toBe(true);
    for (const body of [list.body, bigintSafe(audit), bigintSafe([row])]) expect(JSON.stringify(body)).not.toContain(created.token);
  });

  it('refuses bad input with a clear 4xx, and temporary credentials as the creator', async () => {
    const { r, u } = await setup();
    const bad: [Record<string, unknown>, number, string][] = [
      [{ name: 'has space', roleArn: r.arn }, 400, 'ValidationError'],
      [{ name: 'x', roleArn: r.arn }, 400, 'ValidationError'],
      [{ name: 'x'.repeat(65), roleArn: r.arn }, 400, 'ValidationError'],
      [{ name: 'ok-name', roleArn: r.arn, durationSeconds: 899 }, 400, 'ValidationError'],
      [{ name: 'ok-name', roleArn: r.arn, durationSeconds: 43_201 }, 400, 'ValidationError'],
      // More than the role's MaxSessionDuration (3600 by default).
      [{ name: 'ok-name', roleArn: r.arn, durationSeconds: 7200 }, 400, 'ValidationError'],
      [{ name: 'ok-name', roleArn: r.arn, expiresInSeconds: 366 * 86_400 }, 400, 'ValidationError'],
      [{ name: 'ok-name', roleArn: r.arn, policy: 42 }, 400, 'ValidationError'],
      [{ name: 'ok-name', roleArn: r.arn, policy: '{not json' }, 400, 'MalformedPolicyDocument'],
      [{ name: 'ok-name', roleArn: r.arn, policyArns: 'arn:aws:iam::aws:policy/ReadOnlyAccess' }, 400, 'ValidationError'],
      [{ name: 'ok-name', roleArn: r.arn, surprise: true }, 400, 'ValidationError'],
      [{ name: 'ok-name', roleArn: 'not-an-arn-at-all-really' }, 400, 'ValidationError'],
      [{ name: 'ok-name', roleArn: `arn:aws:iam::${a.accountId}:role/${uniq('missing-')}` }, 404, 'NoSuchEntity'],
      [{ name: 'ok-name' }, 400, 'ValidationError'],
    ];
    for (const [body, status, code] of bad) {
      const res = await signedRequest(t, u.keys, 'POST', tokensUrl(), { body });
      expect(res.status, `${JSON.stringify(body)} → ${JSON.stringify(res.body)}`).toBe(status);
      expect(res.body.error.code, JSON.stringify(body)).toBe(code);
    }
    // A role of another account is not this account's role.
    const b = await accountWithRoot(t);
    const rb = await role(t, b, trustPolicy(b.accountId));
    const cross = await signedRequest(t, u.keys, 'POST', tokensUrl(), { body: { name: 'cross', roleArn: rb.arn } });
    expect(cross.status).toBe(404);

    // Only long-term credentials create tokens.
    const session = await signedRequest(t, u.keys, 'POST', '/v1/sts/get-session-token', { body: {} });
    expect(session.status, JSON.stringify(session.body)).toBe(200);
    const viaSession = await signedRequest(t, keysOf(session.body), 'POST', tokensUrl(), { body: { name: 'tmp', roleArn: r.arn } });
    expect(viaSession.status).toBe(403);
    expect(viaSession.body.error.code).toBe('AccessDenied');
  });

  it('needs the broker-specific actions', async () => {
    const { r } = await setup();
    const nobody = await userWithKey(t, a, policyDoc([allow('sts:AssumeRole')]));
    const c = await signedRequest(t, nobody.keys, 'POST', tokensUrl(), { body: { name: 'n1', roleArn: r.arn } });
    expect(c.status).toBe(403);
    expect(c.body.error.code).toBe('AccessDenied');
    expect((await signedRequest(t, nobody.keys, 'GET', tokensUrl())).status).toBe(403);
    expect((await signedRequest(t, nobody.keys, 'DELETE', `${tokensUrl()}/00000000-0000-4000-8000-000000000000`)).status).toBe(403);
  });

  it('hands out the role credentials: the five string fields, usable at once, reused while fresh', async () => {
    const { r, u } = await setup();
    const tok = await createToken(u.keys, { name: uniq('svc-'), roleArn: r.arn });
    const res = await endpoint(tok.token);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(Object.keys(res.body).sort()).toEqual(['AccessKeyId', 'Expiration', 'RoleArn', 'SecretAccessKey', 'Token']);
    for (const v of Object.values(res.body)) expect(typeof v).toBe('string');
    expect(res.body.AccessKeyId).toMatch(/^ASIA[A-Z2-7]{16}$/);
    expect(res.body.RoleArn).toBe(r.arn);
    expect(res.body.Expiration).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    const ttl = Date.parse(res.body.Expiration) - Date.now();
    expect(ttl).toBeGreaterThan(3_500_000);
    expect(ttl).toBeLessThanOrEqual(3_600_000);

    const me = await whoami(asKeys(res.body));
    expect(me.status, JSON.stringify(me.body)).toBe(200);
    expect(me.body.Arn).toBe(`arn:aws:sts::${a.accountId}:assumed-role/${r.roleName}/${tok.name}`);
    // The role's permissions, not the creator's.
    expect((await signedRequest(t, asKeys(res.body), 'GET', `/v1/accounts/${a.accountId}/users`, { service: 'iam' })).status).toBe(200);

    // Polling SDKs get the same credentials back, also when they poll at once.
    const again = await endpoint(tok.token);
    expect(again.body.AccessKeyId).toBe(res.body.AccessKeyId);
    const burst = await Promise.all(Array.from({ length: 5 }, () => endpoint(tok.token)));
    for (const b of burst) expect(b.body.AccessKeyId).toBe(res.body.AccessKeyId);
    expect(await t.prisma.stsSession.count({ where: { containerTokenId: tok.id } })).toBe(1);

    // Use is recorded (at most once a minute).
    const list = await signedRequest(t, u.keys, 'GET', tokensUrl());
    const mine = list.body.containerTokens.find((x: { id: string }) => x.id === tok.id);
    expect(mine.lastUsedAt).not.toBeNull();
    const session = await t.prisma.stsSession.findUnique({ where: { accessKeyId: res.body.AccessKeyId } });
    expect(session).toMatchObject({ type: 'AssumedRole', sessionName: tok.name, callerArn: u.arn, containerTokenId: tok.id });
  });

  it('applies the session policy and policy ARNs of the token', async () => {
    const { r, u } = await setup();
    const tok = await createToken(u.keys, { name: uniq('narrow-'), roleArn: r.arn, policy: policyDoc([allow('iam:GetUser')]) });
    const res = await endpoint(tok.token);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const listUsers = await signedRequest(t, asKeys(res.body), 'GET', `/v1/accounts/${a.accountId}/users`, { service: 'iam' });
    expect(listUsers.status).toBe(403);

    const tok2 = await createToken(u.keys, { name: uniq('arns-'), roleArn: r.arn, policy: JSON.stringify(policyDoc([allow('iam:*')])), policyArns: [READ_ONLY] });
    const res2 = await endpoint(tok2.token);
    expect(res2.status, JSON.stringify(res2.body)).toBe(200);
    expect((await signedRequest(t, asKeys(res2.body), 'GET', `/v1/accounts/${a.accountId}/users`, { service: 'iam' })).status).toBe(200);
    const list = await signedRequest(t, u.keys, 'GET', tokensUrl());
    expect(list.body.containerTokens.find((x: { id: string }) => x.id === tok2.id)).toMatchObject({ policy: policyDoc([allow('iam:*')]), policyArns: [READ_ONLY] });
  });

  it('answers missing, unknown, revoked and expired tokens with {"Code","Message"} and a 4xx, never echoing the token', async () => {
    const { r, u } = await setup();
    const missing = await endpoint();
    expect(missing.status).toBe(401);
    expect(missing.body).toEqual({ Code: 'MissingAuthenticationToken', Message: expect.any(String) });

    const unknown = `cbct_${'A'.repeat(43)}`;
    for (const bad of [unknown, 'Bearer ' + unknown, 'garbage', 'x'.repeat(5000)]) {
      const res = await endpoint(bad);
      expect(res.status, bad.slice(0, 20)).toBe(403);
      expect(res.body).toEqual({ Code: 'InvalidClientTokenId', Message: expect.any(String) });
      expect(res.text).not.toContain(bad.slice(0, 40));
    }

    const revoked = await createToken(u.keys, { name: uniq('rev-'), roleArn: r.arn });
    expect((await signedRequest(t, u.keys, 'DELETE', `${tokensUrl()}/${revoked.id}`)).status).toBe(204);
    const rres = await endpoint(revoked.token);
    expect(rres.status).toBe(403);
    expect(rres.body).toEqual({ Code: 'InvalidClientTokenId', Message: expect.any(String) });
    expect(rres.text).not.toContain(revoked.token);

    const expiring = await createToken(u.keys, { name: uniq('exp-'), roleArn: r.arn, expiresInSeconds: 60 });
    await t.prisma.containerToken.update({ where: { id: expiring.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    const eres = await endpoint(expiring.token);
    expect(eres.status).toBe(403);
    expect(eres.body).toEqual({ Code: 'ExpiredToken', Message: expect.any(String) });
    const list = await signedRequest(t, u.keys, 'GET', tokensUrl());
    const statuses = Object.fromEntries(list.body.containerTokens.map((x: { id: string; status: string }) => [x.id, x.status]));
    expect(statuses[revoked.id]).toBe('Revoked');
    expect(statuses[expiring.id]).toBe('Expired');

  });

  it('revoking the token revokes the sessions issued with it, at once', async () => {
    const r = await role(t, a, trustPolicy(a.accountId), { inline: policyDoc([allow('sts:AssumeRole')]) });
    const u = await userWithKey(t, a, policyDoc([allow([...TOKEN_ADMIN, 'sts:AssumeRole'])]));
    const tok = await createToken(u.keys, { name: uniq('ci-'), roleArn: r.arn });
    const c = await endpoint(tok.token);
    expect(c.status).toBe(200);
    const keys = asKeys(c.body);
    expect((await whoami(keys)).status).toBe(200);
    // A session chained from it goes too.
    const chained = await signedRequest(t, keys, 'POST', '/v1/sts/assume-role', { body: { RoleArn: r.arn, RoleSessionName: 'chained' } });
    expect(chained.status, JSON.stringify(chained.body)).toBe(200);
    expect((await whoami(keysOf(chained.body))).status).toBe(200);

    const del = await signedRequest(t, u.keys, 'DELETE', `${tokensUrl()}/${tok.id}`);
    expect(del.status).toBe(204);
    const deadline = Date.now() + 1500;
    let status = 200;
    while (Date.now() < deadline) {
      status = (await whoami(keys)).status;
      if (status !== 200) break;
      await sleep(100);
    }
    expect(status).toBe(403);
    expect((await whoami(keysOf(chained.body))).status).toBe(403);
    const rows = await t.prisma.stsSession.findMany({ where: { containerTokenId: tok.id } });
    expect(rows.length).toBe(1);
    expect(rows.every((s) => s.revokedAt !== null)).toBe(true);
    expect((await endpoint(tok.token)).status).toBe(403);
    // Deleting again changes nothing; an unknown id is NoSuchEntity, a malformed one too.
    expect((await signedRequest(t, u.keys, 'DELETE', `${tokensUrl()}/${tok.id}`)).status).toBe(204);
    const unknown = await signedRequest(t, u.keys, 'DELETE', `${tokensUrl()}/00000000-0000-4000-8000-000000000000`);
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('NoSuchEntity');
    expect((await signedRequest(t, u.keys, 'DELETE', `${tokensUrl()}/not-a-uuid`)).status).toBe(404);
    const audit = await t.prisma.auditEvent.findMany({ where: { chain: a.accountId, action: 'sts:DeleteContainerToken', resourceArn: r.arn } });
    expect(audit.length).toBe(1);
  });

  it('issues as the creator, under the creator\'s current policies and the role\'s trust policy', async () => {
    const { r } = await setup();
    // May create tokens but not assume roles.
    const u = await userWithKey(t, a, policyDoc([allow(TOKEN_ADMIN)]));
    const tok = await createToken(u.keys, { name: uniq('np-'), roleArn: r.arn });
    const res = await endpoint(tok.token);
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ Code: 'AccessDenied', Message: expect.any(String) });

    // The creator's current policies: a token minted nothing yet is refused once the creator loses sts:AssumeRole.
    const v = await userWithKey(t, a, policyDoc([allow(TOKEN_ADMIN)]));
    const assumePolicy = `/v1/accounts/${a.accountId}/users/${v.userName}/inline-policies/assume`;
    expect((await t.http.put(assumePolicy).set(bearer(a.rootToken)).send({ document: policyDoc([allow('sts:AssumeRole')]) })).status).toBe(204);
    const tok2 = await createToken(v.keys, { name: uniq('lose-'), roleArn: r.arn });
    const later = await createToken(v.keys, { name: uniq('later-'), roleArn: r.arn });
    expect((await endpoint(tok2.token)).status).toBe(200);
    expect((await t.http.delete(assumePolicy).set(bearer(a.rootToken))).status).toBe(204);
    const lost = await endpoint(later.token);
    expect(lost.status).toBe(403);
    expect(lost.body.Code).toBe('AccessDenied');
    // A role whose trust policy names someone else.
    const narrow = await role(t, a, trustPolicy(`arn:aws:iam::${a.accountId}:user/somebody-else`));
    const tok3 = await createToken(v.keys, { name: uniq('trust-'), roleArn: narrow.arn });
    const res3 = await endpoint(tok3.token);
    expect(res3.status).toBe(403);
    expect(res3.body.Code).toBe('AccessDenied');

    // Root may create tokens too (it assumes roles that trust its account).
    const rootTok = await t.http.post(tokensUrl()).set(bearer(a.rootToken)).send({ name: uniq('root-'), roleArn: r.arn });
    expect(rootTok.status, JSON.stringify(rootTok.body)).toBe(201);
    const rootRes = await endpoint(rootTok.body.token);
    expect(rootRes.status, JSON.stringify(rootRes.body)).toBe(200);
  });

  it('stops at once when the creator is deleted, even with fresh credentials to reuse', async () => {
    const { r } = await setup();
    const u = await userWithKey(t, a, policyDoc([allow([...TOKEN_ADMIN, 'sts:AssumeRole'])]));
    const tok = await createToken(u.keys, { name: uniq('gone-'), roleArn: r.arn });
    expect((await endpoint(tok.token)).status).toBe(200);
    const h = bearer(a.rootToken);
    const userUrl = `/v1/accounts/${a.accountId}/users/${u.userName}`;
    expect((await t.http.patch(`${userUrl}/access-keys/${u.keys.accessKeyId}`).set(h).send({ status: 'Inactive' })).status).toBe(200);
    expect((await t.http.delete(`${userUrl}/access-keys/${u.keys.accessKeyId}`).set(h)).status).toBe(204);
    expect((await t.http.delete(`${userUrl}/inline-policies/p`).set(h)).status).toBe(204);
    const del = await t.http.delete(userUrl).set(h);
    expect(del.status, JSON.stringify(del.body)).toBe(204);
    const res = await endpoint(tok.token);
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ Code: 'InvalidClientTokenId', Message: expect.any(String) });
  });

  it('another account can neither list nor revoke the token', async () => {
    const { r, u } = await setup();
    const tok = await createToken(u.keys, { name: uniq('iso-'), roleArn: r.arn });
    const b = await accountWithRoot(t);
    const list = await t.http.get(tokensUrl()).set(bearer(b.rootToken));
    expect(list.status).toBe(404);
    const own = await t.http.get(tokensUrl(b.accountId)).set(bearer(b.rootToken));
    expect(own.status).toBe(200);
    expect(JSON.stringify(own.body)).not.toContain(tok.id);
    expect((await t.http.delete(`${tokensUrl()}/${tok.id}`).set(bearer(b.rootToken))).status).toBe(404);
    const del = await t.http.delete(`${tokensUrl(b.accountId)}/${tok.id}`).set(bearer(b.rootToken));
    expect(del.status).toBe(404);
    expect(del.body.error.code).toBe('NoSuchEntity');
    expect((await endpoint(tok.token)).status).toBe(200);
  });

  it('works with the AWS SDK container and HTTP credential providers', async () => {
    const { r, u } = await setup();
    const tok = await createToken(u.keys, { name: uniq('sdk-'), roleArn: r.arn });
    const saved = { uri: process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI, token: process.env.AWS_CONTAINER_AUTHORIZATION_TOKEN };
    process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI = tok.fullUri;
    process.env.AWS_CONTAINER_AUTHORIZATION_TOKEN = tok.token;
    try {
      const c1 = await fromContainerMetadata({ timeout: 5000, maxRetries: 0 })();
      expect(c1.accessKeyId).toMatch(/^ASIA/);
      expect(c1.sessionToken).toBeTruthy();
      expect(c1.expiration!.getTime()).toBeGreaterThan(Date.now() + 3_000_000);
      expect((await whoami({ accessKeyId: c1.accessKeyId, secretAccessKey: c1.secretAccessKey, sessionToken: c1.sessionToken })).body.Arn).toBe(
        `arn:aws:sts::${a.accountId}:assumed-role/${r.roleName}/${tok.name}`,
      );
      const c2 = await fromHttp({ timeout: 5000, maxRetries: 0 })();
      expect(c2.accessKeyId).toBe(c1.accessKeyId);
      expect(c2.secretAccessKey).toBe(c1.secretAccessKey);
    } finally {
      if (saved.uri === undefined) delete process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI;
      else process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI = saved.uri;
      if (saved.token === undefined) delete process.env.AWS_CONTAINER_AUTHORIZATION_TOKEN;
      else process.env.AWS_CONTAINER_AUTHORIZATION_TOKEN = saved.token;
    }
    // And a refusal reaches the SDK as an error, not as credentials.
    process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI = tok.fullUri;
    process.env.AWS_CONTAINER_AUTHORIZATION_TOKEN = `cbct_${'B'.repeat(43)}`;
    try {
      await expect(fromHttp({ timeout: 5000, maxRetries: 0 })()).rejects.toThrow();
    } finally {
      if (saved.uri === undefined) delete process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI;
      else process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI = saved.uri;
      if (saved.token === undefined) delete process.env.AWS_CONTAINER_AUTHORIZATION_TOKEN;
      else process.env.AWS_CONTAINER_AUTHORIZATION_TOKEN = saved.token;
    }
  });
});
