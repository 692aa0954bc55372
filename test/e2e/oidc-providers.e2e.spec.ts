import { exportJWK, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebIdentityVerifier } from '../../src/modules/oidc/web-identity-verifier.js';
import { accountWithRoot, ADMIN, bearer, READ_ONLY, userWithPolicies, type TestAccount } from '../support/factories.js';
import { startOidcIssuer, type TestOidcIssuer } from '../support/oidc-issuer.js';
import { DB_KIND, startTestApp, uniq, type TestApp } from '../support/test-app.js';

describe(`OIDC providers (${DB_KIND})`, () => {
  let t: TestApp;
  let a: TestAccount;
  let b: TestAccount;
  let idp: TestOidcIssuer;
  beforeAll(async () => {
    t = await startTestApp();
    [a, b] = await Promise.all([accountWithRoot(t), accountWithRoot(t)]);
    idp = await startOidcIssuer();
  });
  afterAll(async () => {
    await t?.close();
    await idp?.close();
  });

  const base = (acct: string) => `/v1/accounts/${acct}/oidc-providers`;
  /** A unique https issuer (test files share the PostgreSQL database, not the accounts). */
  const issuer = () => `https://${uniq('idp-')}.example.com`;
  const create = (acct: TestAccount, body: Record<string, unknown>) => t.http.post(base(acct.accountId)).set(bearer(acct.rootToken)).send(body);

  async function created(acct: TestAccount, body: Record<string, unknown> = {}) {
    const res = await create(acct, { url: issuer(), clientIdList: ['sts.amazonaws.com'], ...body });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body as { providerId: string; arn: string; url: string };
  }

  async function publicJwks() {
    const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
    return { pub: { keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' }] }, priv: { keys: [{ ...(await exportJWK(privateKey)), kid: 'k1' }] } };
  }

  describe('CRUD', () => {
    it('creates, reads, lists, updates and deletes a provider, auditing each change', async () => {
      const host = `${uniq('token-')}.actions.example.com`;
      const res = await create(a, { url: `https://${host}/`, clientIdList: ['sts.amazonaws.com', 'sts.amazonaws.com', 'other'], thumbprintList: ['a'.repeat(40)] });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      const view = res.body;
      expect(view).toEqual({
        providerId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        arn: `arn:aws:iam::${a.accountId}:oidc-provider/${host}`,
        url: `https://${host}`,
        clientIdList: ['sts.amazonaws.com', 'other'],
        jwksUri: null,
        hasStoredJwks: false,
        createDate: expect.any(String),
      });
      const h = bearer(a.rootToken);
      const one = `${base(a.accountId)}/${view.providerId}`;

      expect((await t.http.get(one).set(h)).body).toEqual(view);
      const list = await t.http.get(base(a.accountId)).set(h);
      expect(list.status).toBe(200);
      expect(list.body.providers).toContainEqual(view);

      const audiences = await t.http.patch(one).set(h).send({ clientIdList: ['new-aud'] });
      expect(audiences.status, JSON.stringify(audiences.body)).toBe(200);
      expect(audiences.body).toMatchObject({ providerId: view.providerId, clientIdList: ['new-aud'], jwksUri: null, hasStoredJwks: false });
      // updatedAt moves (the verifier's key cache is keyed by it).
      const row = await t.prisma.oidcProvider.findUniqueOrThrow({ where: { id: view.providerId } });
      expect(row.updatedAt.getTime()).toBeGreaterThan(row.createdAt.getTime());

      const { pub } = await publicJwks();
      const stored = await t.http.patch(one).set(h).send({ jwks: pub });
      expect(stored.status, JSON.stringify(stored.body)).toBe(200);
      expect(stored.body).toMatchObject({ hasStoredJwks: true, jwksUri: null });
      expect(JSON.stringify(stored.body)).not.toContain(pub.keys[0]!.n);

      const uri = await t.http.patch(one).set(h).send({ jwksUri: `https://${host}/keys` });
      expect(uri.body).toMatchObject({ hasStoredJwks: false, jwksUri: `https://${host}/keys` });
      const cleared = await t.http.patch(one).set(h).send({ jwksUri: null });
      expect(cleared.body).toMatchObject({ hasStoredJwks: false, jwksUri: null });

      const del = await t.http.delete(one).set(h);
      expect(del.status).toBe(204);
      const gone = await t.http.get(one).set(h);
      expect(gone.status).toBe(404);
      expect(gone.body.error.code).toBe('NoSuchEntity');
      expect((await t.http.delete(one).set(h)).status).toBe(404);

      const audit = await t.prisma.auditEvent.findMany({ where: { chain: a.accountId, resourceArn: view.arn }, orderBy: { seq: 'asc' } });
      expect(audit.map((e) => e.action)).toEqual([
        'iam:CreateOpenIDConnectProvider',
        'iam:UpdateOpenIDConnectProvider',
        'iam:UpdateOpenIDConnectProvider',
        'iam:UpdateOpenIDConnectProvider',
        'iam:UpdateOpenIDConnectProvider',
        'iam:DeleteOpenIDConnectProvider',
      ]);
      expect(JSON.stringify(audit.map((e) => ({ ...e, id: String(e.id), seq: String(e.seq) })))).not.toContain(pub.keys[0]!.n);
    });

    it('stores a JWKS given at creation (public keys only) and accepts a jwksUri', async () => {
      const { pub } = await publicJwks();
      expect(await created(a, { jwks: pub })).toMatchObject({ hasStoredJwks: true, jwksUri: null });
      const url = issuer();
      expect(await created(a, { url, jwksUri: `${url}/.well-known/jwks` })).toMatchObject({ hasStoredJwks: false, jwksUri: `${url}/.well-known/jwks` });
    });

    it('accepts a loopback http issuer in tests (OIDC_ALLOW_LOOPBACK), named by host:port in its ARN', async () => {
      const p = await created(a, { url: idp.url });
      expect(p.arn).toBe(`arn:aws:iam::${a.accountId}:oidc-provider/${idp.url.replace('http://', '')}`);
      expect(p.url).toBe(idp.url);
      await t.http.delete(`${base(a.accountId)}/${p.providerId}`).set(bearer(a.rootToken)).expect(204);
    });

    it('the verifier finds a provider registered through the API and verifies its tokens', async () => {
      const p = await created(a, { url: idp.url, clientIdList: ['ci-audience'] });
      try {
        const verifier = t.app.get(WebIdentityVerifier);
        const token = await idp.issueToken({ sub: 'repo:acme/app:ref:refs/heads/main', aud: 'ci-audience' });
        const id = await verifier.verify(a.accountId, token);
        expect(id).toMatchObject({ provider: { id: p.providerId, arn: p.arn, url: idp.url }, subject: 'repo:acme/app:ref:refs/heads/main', audience: 'ci-audience', issuer: idp.url });
        // Another account has no such provider.
        await expect(verifier.verify(b.accountId, token)).rejects.toMatchObject({ code: 'InvalidIdentityToken', message: `No OpenIDConnect provider found in your account for ${idp.url}` });
        // A changed audience list applies at once.
        await t.http.patch(`${base(a.accountId)}/${p.providerId}`).set(bearer(a.rootToken)).send({ clientIdList: ['other'] }).expect(200);
        await expect(verifier.verify(a.accountId, token)).rejects.toMatchObject({ code: 'InvalidIdentityToken', message: 'Incorrect token audience' });
      } finally {
        await t.http.delete(`${base(a.accountId)}/${p.providerId}`).set(bearer(a.rootToken)).expect(204);
      }
    });
  });

  describe('validation', () => {
    it('refuses bad input with a 400 ValidationError', async () => {
      const { pub, priv } = await publicJwks();
      const url = issuer();
      const bad: [string, Record<string, unknown>][] = [
        ['no url', { clientIdList: ['x'] }],
        ['a non-string url', { url: 42, clientIdList: ['x'] }],
        ['http on a public host', { url: url.replace('https:', 'http:'), clientIdList: ['x'] }],
        ['no scheme', { url: url.replace('https://', ''), clientIdList: ['x'] }],
        ['a query', { url: `${url}/?a=1`, clientIdList: ['x'] }],
        ['a fragment', { url: `${url}/#f`, clientIdList: ['x'] }],
        ['credentials', { url: url.replace('https://', 'https://u:p@'), clientIdList: ['x'] }],
        ['a private address', { url: 'https://10.0.0.1', clientIdList: ['x'] }],
        ['a link-local address', { url: 'https://169.254.169.254', clientIdList: ['x'] }],
        ['a url over 255 characters', { url: `https://${'a'.repeat(250)}.example.com`, clientIdList: ['x'] }],
        ['no clientIdList', { url }],
        ['an empty clientIdList', { url, clientIdList: [] }],
        ['101 client ids', { url, clientIdList: Array.from({ length: 101 }, (_, i) => `c${i}`) }],
        ['an empty client id', { url, clientIdList: [''] }],
        ['a client id over 255 characters', { url, clientIdList: ['c'.repeat(256)] }],
        ['a non-string client id', { url, clientIdList: [1] }],
        ['6 thumbprints', { url, clientIdList: ['x'], thumbprintList: Array.from({ length: 6 }, () => 'a'.repeat(40)) }],
        ['a bad thumbprint', { url, clientIdList: ['x'], thumbprintList: ['xyz'] }],
        ['a private key in jwks', { url, clientIdList: ['x'], jwks: priv }],
        ['a secret key in jwks', { url, clientIdList: ['x'], jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] } }],
        ['jwks without keys', { url, clientIdList: ['x'], jwks: { foo: [] } }],
        ['jwks as an array', { url, clientIdList: ['x'], jwks: [] }],
        ['both jwks and jwksUri', { url, clientIdList: ['x'], jwks: pub, jwksUri: `${url}/keys` }],
        ['an http jwksUri', { url, clientIdList: ['x'], jwksUri: url.replace('https:', 'http:') }],
        ['a jwksUri on a private address', { url, clientIdList: ['x'], jwksUri: 'https://192.168.1.1/keys' }],
        ['an unknown field', { url, clientIdList: ['x'], nonsense: true }],
      ];
      for (const [what, body] of bad) {
        const res = await create(a, body);
        expect(res.status, `${what}: ${JSON.stringify(res.body)}`).toBe(400);
        expect(res.body.error.code, what).toBe('ValidationError');
        if (body.jwks === priv) expect(JSON.stringify(res.body)).not.toContain((priv.keys[0] as { d: string }).d);
      }
      expect((await t.http.get(base(a.accountId)).set(bearer(a.rootToken))).body.providers.map((p: { url: string }) => p.url)).not.toContain(url);
    });

    it('refuses bad updates', async () => {
      const p = await created(a);
      const one = `${base(a.accountId)}/${p.providerId}`;
      const { pub, priv } = await publicJwks();
      for (const body of [{}, { clientIdList: [] }, { jwks: priv }, { jwks: pub, jwksUri: 'https://keys.example.com/jwks' }, { jwksUri: 'http://keys.example.com' }, { url: 'https://x.example.com' }]) {
        const res = await t.http.patch(one).set(bearer(a.rootToken)).send(body);
        expect(res.status, JSON.stringify(body)).toBe(400);
        expect(res.body.error.code).toBe('ValidationError');
      }
      expect((await t.http.get(one).set(bearer(a.rootToken))).body).toMatchObject({ clientIdList: ['sts.amazonaws.com'], hasStoredJwks: false, jwksUri: null });
    });

    it('refuses a second provider for the same issuer in an account (also with a trailing slash or another host case), not in another account', async () => {
      const url = issuer();
      await created(a, { url });
      for (const again of [url, `${url}/`, url.toUpperCase().replace('HTTPS://', 'https://')]) {
        const res = await create(a, { url: again, clientIdList: ['x'] });
        expect(res.status, again).toBe(409);
        expect(res.body.error.code).toBe('EntityAlreadyExists');
      }
      await created(b, { url });
      const parallel = await Promise.all(Array.from({ length: 5 }, () => create(a, { url: `${url}/tenant`, clientIdList: ['x'] })));
      expect(parallel.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409]);
    });

    it('answers NoSuchEntity (404), never a 500, for an unknown or malformed provider id', async () => {
      const h = bearer(a.rootToken);
      for (const id of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid', "1' OR '1'='1", 'x'.repeat(90)]) {
        const one = `${base(a.accountId)}/${encodeURIComponent(id)}`;
        for (const res of [await t.http.get(one).set(h), await t.http.patch(one).set(h).send({ clientIdList: ['x'] }), await t.http.delete(one).set(h)]) {
          expect(res.status, `${id}: ${JSON.stringify(res.body)}`).toBe(404);
          expect(res.body.error.code).toBe('NoSuchEntity');
        }
      }
      // Beyond the router's parameter length limit: still a clean 4xx.
      const long = await t.http.get(`${base(a.accountId)}/${'x'.repeat(300)}`).set(h);
      expect(long.status).toBeGreaterThanOrEqual(400);
      expect(long.status).toBeLessThan(500);
    });
  });

  describe('permissions', () => {
    it('an IAM user without permission is denied every operation; read-only may read; an administrator may do everything', async () => {
      const p = await created(a);
      const one = `${base(a.accountId)}/${p.providerId}`;
      const nobody = await userWithPolicies(t, a, []);
      const reader = await userWithPolicies(t, a, [READ_ONLY]);
      const admin = await userWithPolicies(t, a, [ADMIN]);
      const calls = (token: string) => [
        t.http.post(base(a.accountId)).set(bearer(token)).send({ url: issuer(), clientIdList: ['x'] }),
        t.http.get(base(a.accountId)).set(bearer(token)),
        t.http.get(one).set(bearer(token)),
        t.http.patch(one).set(bearer(token)).send({ clientIdList: ['y'] }),
        t.http.delete(one).set(bearer(token)),
      ];
      for (const res of await Promise.all(calls(nobody.token))) {
        expect(res.status).toBe(403);
        expect(res.body.error.code).toBe('AccessDenied');
      }
      const [rCreate, rList, rGet, rPatch, rDelete] = await Promise.all(calls(reader.token));
      expect([rCreate!.status, rList!.status, rGet!.status, rPatch!.status, rDelete!.status]).toEqual([403, 200, 200, 403, 403]);
      expect((await t.http.get(one).set(bearer(a.rootToken))).body.clientIdList).toEqual(['sts.amazonaws.com']);

      const made = await t.http.post(base(a.accountId)).set(bearer(admin.token)).send({ url: issuer(), clientIdList: ['x'] });
      expect(made.status).toBe(201);
      expect((await t.http.patch(one).set(bearer(admin.token)).send({ clientIdList: ['y'] })).status).toBe(200);
      expect((await t.http.delete(one).set(bearer(admin.token))).status).toBe(204);
    });

    it('a policy on one provider ARN grants that provider only', async () => {
      const p1 = await created(a);
      const p2 = await created(a);
      const policyName = uniq('oidc-get-');
      const doc = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['iam:GetOpenIDConnectProvider', 'iam:UpdateOpenIDConnectProvider'], Resource: p1.arn }] };
      expect((await t.http.post(`/v1/accounts/${a.accountId}/policies`).set(bearer(a.rootToken)).send({ policyName, document: doc })).status).toBe(201);
      const u = await userWithPolicies(t, a, [`arn:aws:iam::${a.accountId}:policy/${policyName}`]);
      expect((await t.http.get(`${base(a.accountId)}/${p1.providerId}`).set(bearer(u.token))).status).toBe(200);
      expect((await t.http.patch(`${base(a.accountId)}/${p1.providerId}`).set(bearer(u.token)).send({ clientIdList: ['z'] })).status).toBe(200);
      expect((await t.http.get(`${base(a.accountId)}/${p2.providerId}`).set(bearer(u.token))).status).toBe(403);
      expect((await t.http.delete(`${base(a.accountId)}/${p1.providerId}`).set(bearer(u.token))).status).toBe(403);
    });
  });

  describe('tenant isolation', () => {
    it('another account cannot read, change or delete a provider, through either account path', async () => {
      const p = await created(a);
      const hB = bearer(b.rootToken);
      for (const acct of [a.accountId, b.accountId]) {
        const one = `${base(acct)}/${p.providerId}`;
        for (const res of [await t.http.get(one).set(hB), await t.http.patch(one).set(hB).send({ clientIdList: ['evil'] }), await t.http.delete(one).set(hB)]) {
          expect(res.status, `${acct}: ${JSON.stringify(res.body)}`).toBe(404);
          expect(res.body.error.code).toBe('NoSuchEntity');
        }
      }
      const createInA = await t.http.post(base(a.accountId)).set(hB).send({ url: issuer(), clientIdList: ['x'] });
      expect(createInA.status).toBe(404);
      const listA = await t.http.get(base(a.accountId)).set(hB);
      expect(listA.status).toBe(404);
      const listB = await t.http.get(base(b.accountId)).set(hB);
      expect(listB.body.providers.map((x: { providerId: string }) => x.providerId)).not.toContain(p.providerId);
      expect((await t.http.get(`${base(a.accountId)}/${p.providerId}`).set(bearer(a.rootToken))).body).toMatchObject({ clientIdList: ['sts.amazonaws.com'] });
    });
  });
});
