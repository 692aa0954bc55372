import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Logger } from '@nestjs/common';
import { exportJWK, generateKeyPair, SignJWT, UnsecuredJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DomainError } from '../../src/common/errors/domain-error.js';
import type { AppConfig } from '../../src/config/app-config.js';
import { JwksSource, storedJwksProblem } from '../../src/modules/oidc/jwks-source.js';
import type { OidcProviderRow, OidcProvidersRepository } from '../../src/modules/oidc/oidc-providers.repository.js';
import { WebIdentityVerifier, type VerifiedWebIdentity } from '../../src/modules/oidc/web-identity-verifier.js';
import { startOidcIssuer, type TestOidcIssuer } from '../support/oidc-issuer.js';

const ACCOUNT = '111122223333';
const OTHER_ACCOUNT = '444455556666';
const AUD = 'sts.amazonaws.com';
const SUB = 'repo:acme/app:ref:refs/heads/main';

function config(sts: Partial<AppConfig['sts']> = {}): AppConfig {
  return { sts: { oidcAllowLoopback: true, oidcFetchTimeoutMs: 1000, oidcJwksCacheSeconds: 600, ...sts } } as AppConfig;
}

/** A JwksSource with a settable clock and DNS answers. */
class TestJwksSource extends JwksSource {
  offsetMs = 0;
  dns = new Map<string, { address: string; family: number }[]>();
  protected override now() {
    return Date.now() + this.offsetMs;
  }
  protected override async resolveHost(host: string) {
    const a = this.dns.get(host);
    if (!a) throw new Error(`ENOTFOUND ${host}`);
    return a;
  }
}

function providerRow(url: string, over: Partial<OidcProviderRow> = {}): OidcProviderRow {
  const now = new Date();
  return {
    id: randomUUID(),
    accountId: ACCOUNT,
    url,
    arn: `arn:aws:iam::${ACCOUNT}:oidc-provider/${url.replace(/^https?:\/\//, '')}`,
    audiences: [AUD],
    jwksUri: null,
    jwks: null,
    createdAt: now,
    updatedAt: now,
    ...over,
  };
}

/** An in-memory repository: only what the verifier uses. */
function fakeRepo(rows: OidcProviderRow[]) {
  return {
    findByUrl: async (accountId: string, url: string) => rows.find((r) => r.accountId === accountId && r.url === url) ?? null,
    findById: async (accountId: string, id: string) => rows.find((r) => r.accountId === accountId && r.id === id) ?? null,
  } as unknown as OidcProvidersRepository;
}

async function failure(p: Promise<unknown>): Promise<DomainError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(DomainError);
    return e as DomainError;
  }
  throw new Error('expected a failure');
}

/** No error message may carry the token or any part of it. */
function expectNoTokenIn(err: DomainError, token: string) {
  for (const part of token.split('.').filter((p) => p.length >= 8)) {
    expect(err.message).not.toContain(part);
    expect(err.diagnostic ?? '').not.toContain(part);
  }
}

/** A small HTTP server answering every request with `handler`. */
async function adHocServer(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

describe('WebIdentityVerifier', () => {
  let idp: TestOidcIssuer;
  beforeAll(async () => {
    Logger.overrideLogger(false); // fetch failures are logged as warnings: expected here
    idp = await startOidcIssuer();
  });
  afterAll(async () => {
    await idp?.close();
  });

  /** A fresh verifier (own cache) for one provider row, plus any other rows. */
  function setup(row: OidcProviderRow = providerRow(idp.url), others: OidcProviderRow[] = [], cfg = config()) {
    const keys = new TestJwksSource(cfg);
    const rows = [row, ...others];
    return { row, rows, keys, verifier: new WebIdentityVerifier(fakeRepo(rows), keys) };
  }

  describe('good tokens', () => {
    it('verifies an RS256 token found through discovery and says who it is for', async () => {
      const { verifier, row } = setup();
      const token = await idp.issueToken({ sub: SUB, aud: AUD, repository: 'acme/app', ref: 'refs/heads/main' });
      const id: VerifiedWebIdentity = await verifier.verify(ACCOUNT, token);
      expect(id).toMatchObject({ provider: { id: row.id, arn: row.arn, url: idp.url }, subject: SUB, audience: AUD, issuer: idp.url });
      expect(id.claims).toMatchObject({ sub: SUB, aud: AUD, repository: 'acme/app', ref: 'refs/heads/main', iss: idp.url });
    });

    it('verifies ES256 tokens, tokens without kid, and picks the matching audience of several', async () => {
      const { verifier } = setup(providerRow(idp.url, { audiences: ['other', AUD] }));
      expect((await verifier.verify(ACCOUNT, await idp.issueToken({ sub: SUB, aud: AUD }, { alg: 'ES256' }))).audience).toBe(AUD);
      expect((await verifier.verify(ACCOUNT, await idp.issueToken({ sub: SUB, aud: AUD }, { kid: null }))).subject).toBe(SUB);
      expect((await verifier.verify(ACCOUNT, await idp.issueToken({ sub: SUB, aud: ['x', AUD, 'other'] }))).audience).toBe(AUD);
    });

    it('matches the issuer up to a trailing slash', async () => {
      const { verifier } = setup();
      const id = await verifier.verify(ACCOUNT, await idp.issueToken({ sub: SUB, aud: AUD, iss: `${idp.url}/` }));
      expect(id.issuer).toBe(idp.url);
    });

    it('allows 5 minutes of clock skew for nbf and iat', async () => {
      const { verifier } = setup();
      const now = Math.floor(Date.now() / 1000);
      await expect(verifier.verify(ACCOUNT, await idp.issueToken({ sub: SUB, aud: AUD, nbf: now + 200, iat: now + 200 }))).resolves.toBeTruthy();
    });
  });

  describe('InvalidIdentityToken', () => {
    it.each([
      ['not a JWT', 'not-a-jwt'],
      ['three garbage parts', 'aaaaaaaaaa.bbbbbbbbbbbb.cccccccccc'],
      ['a JWE (five parts)', 'eyJhbGciOiJSU0EtT0FFUCJ9.aaaa.bbbb.cccc.dddd'],
      ['empty', ''],
      ['too long', `${'a'.repeat(10_000)}.${'b'.repeat(10_000)}.c`],
    ])('refuses a token that is %s', async (_what, token) => {
      const { verifier } = setup();
      const err = await failure(verifier.verify(ACCOUNT, token));
      expect(err.code).toBe('InvalidIdentityToken');
      expect(err.message).toBe('The web identity token is not a valid JWT.');
      expectNoTokenIn(err, token);
    });

    it('refuses a token without iss', async () => {
      const { verifier } = setup();
      const token = await idp.issueToken({ sub: SUB, aud: AUD, iss: undefined });
      const err = await failure(verifier.verify(ACCOUNT, token));
      expect([err.code, err.message]).toEqual(['InvalidIdentityToken', 'The web identity token has no issuer (iss).']);
    });

    it('refuses an issuer that is not a provider of this account (another account has it)', async () => {
      const { verifier } = setup(providerRow(idp.url, { accountId: OTHER_ACCOUNT }));
      const token = await idp.issueToken({ sub: SUB, aud: AUD });
      const err = await failure(verifier.verify(ACCOUNT, token));
      expect([err.code, err.message]).toEqual(['InvalidIdentityToken', `No OpenIDConnect provider found in your account for ${idp.url}`]);
      const weird = await failure(verifier.verify(ACCOUNT, await idp.issueToken({ sub: SUB, aud: AUD, iss: 'not a url at all' })));
      expect(weird.message).toBe('No OpenIDConnect provider found in your account for the issuer of this token');
    });

    it('refuses a bad signature: wrong key under a published kid, or a changed payload', async () => {
      const { verifier } = setup();
      const forged = await idp.issueToken({ sub: SUB, aud: AUD }, { key: 'unknown', kid: idp.currentKids.RS256 });
      const err = await failure(verifier.verify(ACCOUNT, forged));
      expect([err.code, err.message]).toEqual(['InvalidIdentityToken', 'The web identity token signature could not be verified.']);
      expectNoTokenIn(err, forged);

      const good = await idp.issueToken({ sub: SUB, aud: AUD });
      const [h, , s] = good.split('.');
      const payload = Buffer.from(JSON.stringify({ iss: idp.url, sub: 'repo:evil/app', aud: AUD, exp: Math.floor(Date.now() / 1000) + 600 })).toString('base64url');
      const tampered = await failure(verifier.verify(ACCOUNT, `${h}.${payload}.${s}`));
      expect(tampered.message).toBe('The web identity token signature could not be verified.');
    });

    it('refuses alg none and HMAC tokens', async () => {
      const { verifier } = setup();
      const none = new UnsecuredJWT({ iss: idp.url, sub: SUB, aud: AUD }).setExpirationTime('10m').encode();
      const hs = await new SignJWT({ iss: idp.url, sub: SUB, aud: AUD }).setProtectedHeader({ alg: 'HS256', kid: idp.currentKids.RS256 }).setExpirationTime('10m').sign(new TextEncoder().encode('x'.repeat(32)));
      for (const token of [none, hs]) {
        const err = await failure(verifier.verify(ACCOUNT, token));
        expect(err.code).toBe('InvalidIdentityToken');
        expect(err.message).toMatch(/algorithm that is not allowed/);
      }
    });

    it('refuses a token whose aud matches none of the audiences, or has no aud', async () => {
      const { verifier } = setup();
      for (const claims of [{ sub: SUB, aud: 'someone-else' }, { sub: SUB, aud: ['a', 'b'] }, { sub: SUB }]) {
        const err = await failure(verifier.verify(ACCOUNT, await idp.issueToken(claims)));
        expect([err.code, err.message]).toEqual(['InvalidIdentityToken', 'Incorrect token audience']);
      }
    });

    it('refuses a token without sub', async () => {
      const { verifier } = setup();
      const err = await failure(verifier.verify(ACCOUNT, await idp.issueToken({ aud: AUD })));
      expect([err.code, err.message]).toEqual(['InvalidIdentityToken', 'The web identity token has no subject (sub).']);
    });

    it('refuses nbf and iat more than 5 minutes in the future, and a token without exp', async () => {
      const { verifier } = setup();
      const now = Math.floor(Date.now() / 1000);
      const nbf = await failure(verifier.verify(ACCOUNT, await idp.issueToken({ sub: SUB, aud: AUD, nbf: now + 400 })));
      expect([nbf.code, nbf.message]).toEqual(['InvalidIdentityToken', 'The web identity token is not valid yet (nbf).']);
      const iat = await failure(verifier.verify(ACCOUNT, await idp.issueToken({ sub: SUB, aud: AUD, iat: now + 400 })));
      expect([iat.code, iat.message]).toEqual(['InvalidIdentityToken', 'The web identity token was issued in the future (iat).']);
      const noExp = await failure(verifier.verify(ACCOUNT, await idp.issueToken({ sub: SUB, aud: AUD, exp: undefined })));
      expect(noExp.code).toBe('InvalidIdentityToken');
    });
  });

  describe('ExpiredToken', () => {
    it('refuses an expired token, even within the clock skew, without quoting it', async () => {
      const { verifier } = setup();
      for (const expiresIn of [-10, -3600]) {
        const token = await idp.issueToken({ sub: SUB, aud: AUD }, { expiresIn });
        const err = await failure(verifier.verify(ACCOUNT, token));
        expect(err.code).toBe('ExpiredToken');
        expect(err.message).toMatch(/^Token expired: /);
        expectNoTokenIn(err, token);
      }
    });
  });

  describe('keys', () => {
    it('caches the JWKS, shares one fetch between concurrent verifications, refetches after the cache time', async () => {
      const { verifier, keys } = setup();
      const token = await idp.issueToken({ sub: SUB, aud: AUD });
      const before = idp.jwksFetches;
      await Promise.all(Array.from({ length: 10 }, () => verifier.verify(ACCOUNT, token)));
      expect(idp.jwksFetches - before).toBe(1);
      await verifier.verify(ACCOUNT, token);
      expect(idp.jwksFetches - before).toBe(1);
      keys.offsetMs = 601_000;
      await verifier.verify(ACCOUNT, token);
      expect(idp.jwksFetches - before).toBe(2);
    });

    it('refetches when the provider changed (updatedAt is part of the cache key)', async () => {
      const { verifier, row } = setup();
      const token = await idp.issueToken({ sub: SUB, aud: AUD });
      const before = idp.jwksFetches;
      await verifier.verify(ACCOUNT, token);
      row.updatedAt = new Date(row.updatedAt.getTime() + 1000);
      await verifier.verify(ACCOUNT, token);
      expect(idp.jwksFetches - before).toBe(2);
    });

    it('after a key rotation, an unknown kid refetches once and verifies; unknown kids refetch at most once per 30 s', async () => {
      const { verifier, keys } = setup();
      await verifier.verify(ACCOUNT, await idp.issueToken({ sub: SUB, aud: AUD }));
      const before = idp.jwksFetches;

      const newKid = await idp.rotate();
      const rotated = await idp.issueToken({ sub: SUB, aud: AUD });
      expect(rotated.length).toBeGreaterThan(0);
      expect(idp.currentKids.RS256).toBe(newKid);
      await expect(verifier.verify(ACCOUNT, rotated)).resolves.toMatchObject({ subject: SUB });
      expect(idp.jwksFetches - before).toBe(1);

      // A kid nobody publishes: no refetch within 30 s of the last one, then one more.
      const unknown = await idp.issueToken({ sub: SUB, aud: AUD }, { key: 'unknown' });
      for (let i = 0; i < 3; i++) {
        const err = await failure(verifier.verify(ACCOUNT, unknown));
        expect([err.code, err.message]).toEqual(['InvalidIdentityToken', 'The web identity token is signed with a key the identity provider does not publish.']);
      }
      expect(idp.jwksFetches - before).toBe(1);
      keys.offsetMs = 31_000;
      await failure(verifier.verify(ACCOUNT, unknown));
      expect(idp.jwksFetches - before).toBe(2);
    });

    it('uses a stored JWKS without fetching, and never refetches it', async () => {
      const url = 'https://issuer.example';
      const { verifier } = setup(providerRow(url, { jwks: idp.jwks() }));
      const before = idp.jwksFetches;
      const id = await verifier.verify(ACCOUNT, await idp.issueToken({ sub: SUB, aud: AUD, iss: url }));
      expect(id).toMatchObject({ issuer: url, subject: SUB });
      const err = await failure(verifier.verify(ACCOUNT, await idp.issueToken({ sub: SUB, aud: AUD, iss: url }, { key: 'unknown' })));
      expect(err.message).toMatch(/key the identity provider does not publish/);
      expect(idp.jwksFetches).toBe(before);
    });

    it('uses a configured jwksUri instead of discovery', async () => {
      const url = 'https://no-discovery.example';
      const { verifier } = setup(providerRow(url, { jwksUri: idp.jwksUri }));
      await expect(verifier.verify(ACCOUNT, await idp.issueToken({ sub: SUB, aud: AUD, iss: url }))).resolves.toMatchObject({ issuer: url });
    });
  });

  describe('IDPCommunicationError', () => {
    const expectIdp = async (verifier: WebIdentityVerifier, token: string, diagnostic: RegExp) => {
      const err = await failure(verifier.verify(ACCOUNT, token));
      expect(err.code).toBe('IDPCommunicationError');
      expect(err.message).toBe("Couldn't retrieve verification key from your identity provider.");
      expect(err.diagnostic).toMatch(diagnostic);
      expectNoTokenIn(err, token);
    };

    it('when the JWKS server is down', async () => {
      const down = await adHocServer(() => undefined);
      await down.close();
      const { verifier } = setup(providerRow(down.url));
      await expectIdp(verifier, await idp.issueToken({ sub: SUB, aud: AUD, iss: down.url }), /could not be fetched: .*ECONNREFUSED/);
    });

    it('when the server does not answer in time', async () => {
      const slow = await adHocServer(() => undefined);
      try {
        const { verifier } = setup(providerRow(slow.url), [], config({ oidcFetchTimeoutMs: 200 }));
        await expectIdp(verifier, await idp.issueToken({ sub: SUB, aud: AUD, iss: slow.url }), /no answer within 200 ms/);
      } finally {
        await slow.close();
      }
    });

    it('refuses redirects', async () => {
      const redirecting = await adHocServer((_req, res) => {
        res.writeHead(302, { location: idp.jwksUri });
        res.end();
      });
      try {
        const { verifier } = setup(providerRow('https://redirect.example', { jwksUri: `${redirecting.url}/jwks` }));
        const before = idp.jwksFetches;
        await expectIdp(verifier, await idp.issueToken({ sub: SUB, aud: AUD, iss: 'https://redirect.example' }), /redirects are refused \(HTTP 302\)/);
        expect(idp.jwksFetches).toBe(before);
      } finally {
        await redirecting.close();
      }
    });

    it('refuses answers that are not JSON, too large, not a JWKS, or an error status', async () => {
      const cases: [string, (res: ServerResponse) => void, RegExp][] = [
        ['html', (res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html></html>'), /not JSON/],
        ['bad json', (res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"keys":'), /not valid JSON/],
        ['huge', (res) => res.writeHead(200, { 'content-type': 'application/json' }).end(`{"keys":[],"pad":"${'x'.repeat(300 * 1024)}"}`), /larger than 262144 bytes/],
        ['not a jwks', (res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"hello":"world"}'), /not a JWKS document/],
        ['500', (res) => res.writeHead(500, { 'content-type': 'application/json' }).end('{}'), /HTTP 500/],
      ];
      for (const [what, answer, diagnostic] of cases) {
        const srv = await adHocServer((_req, res) => answer(res));
        try {
          const url = `https://${what.replace(/\s/g, '-')}.example`;
          const { verifier } = setup(providerRow(url, { jwksUri: `${srv.url}/jwks` }));
          await expectIdp(verifier, await idp.issueToken({ sub: SUB, aud: AUD, iss: url }), diagnostic);
        } finally {
          await srv.close();
        }
      }
    });

    it('when discovery fails or names another issuer', async () => {
      const wrongIssuer = await adHocServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ issuer: 'https://elsewhere.example', jwks_uri: idp.jwksUri })));
      try {
        const { verifier } = setup(providerRow(wrongIssuer.url));
        await expectIdp(verifier, await idp.issueToken({ sub: SUB, aud: AUD, iss: wrongIssuer.url }), /names another issuer/);
      } finally {
        await wrongIssuer.close();
      }
      const notFound = await adHocServer((_req, res) => res.writeHead(404, { 'content-type': 'application/json' }).end('{}'));
      try {
        const { verifier } = setup(providerRow(notFound.url));
        await expectIdp(verifier, await idp.issueToken({ sub: SUB, aud: AUD, iss: notFound.url }), /HTTP 404/);
      } finally {
        await notFound.close();
      }
    });

    it('refuses loopback URLs unless allowed, and host names that resolve to internal addresses', async () => {
      const strict = setup(providerRow(idp.url), [], config({ oidcAllowLoopback: false }));
      await expectIdp(strict.verifier, await idp.issueToken({ sub: SUB, aud: AUD }), /loopback hosts are not allowed/);

      const url = 'https://sneaky.example';
      for (const [address, kind] of [
        ['10.0.0.7', 'private'],
        ['169.254.169.254', 'link-local'],
        ['::ffff:127.0.0.1', 'loopback'],
        ['fd00::1', 'unique-local'],
        ['100.100.100.100', 'cgnat'],
      ] as const) {
        const s = setup(providerRow(url, { jwksUri: 'https://jwks.sneaky.example/keys' }), [], config({ oidcAllowLoopback: false }));
        s.keys.dns.set('jwks.sneaky.example', [
          { address: '93.184.216.34', family: 4 },
          { address, family: address.includes(':') ? 6 : 4 },
        ]);
        await expectIdp(s.verifier, await idp.issueToken({ sub: SUB, aud: AUD, iss: url }), new RegExp(`resolves to a ${kind} address`));
      }
      const unresolved = setup(providerRow(url, { jwksUri: 'https://nowhere.sneaky.example/keys' }), [], config({ oidcAllowLoopback: false }));
      await expectIdp(unresolved.verifier, await idp.issueToken({ sub: SUB, aud: AUD, iss: url }), /could not be resolved/);
    });
  });
});

describe('storedJwksProblem', () => {
  it('accepts public RSA and EC keys and refuses private, secret and malformed ones', async () => {
    const rsa = await generateKeyPair('RS256', { extractable: true });
    const ec = await generateKeyPair('ES256', { extractable: true });
    const pubRsa = { ...(await exportJWK(rsa.publicKey)), kid: 'r1' };
    const pubEc = { ...(await exportJWK(ec.publicKey)), kid: 'e1', alg: 'ES256' };
    expect(await storedJwksProblem({ keys: [pubRsa, pubEc] })).toBeNull();

    const privRsa = { ...(await exportJWK(rsa.privateKey)), kid: 'r1' };
    expect(await storedJwksProblem({ keys: [privRsa] })).toMatch(/keys\[0\] is a private or secret key/);
    expect(await storedJwksProblem({ keys: [pubRsa, { ...pubEc, d: 'x' }] })).toMatch(/keys\[1\] is a private/);
    expect(await storedJwksProblem({ keys: [{ kty: 'oct', k: 'c2VjcmV0' }] })).toMatch(/private or secret/);
    expect(await storedJwksProblem({ keys: [{ kty: 'RSA', n: 'abc', e: 'AQAB', kid: 'bad' }] })).toMatch(/at least 2048 bits/);
    expect(await storedJwksProblem({ keys: [{ ...pubEc, x: pubRsa.n!.slice(0, 43) }] })).toMatch(/not a valid ES256 public key/);
    expect(await storedJwksProblem({ keys: [{ ...pubRsa, alg: 'HS256' }] })).toMatch(/no usable signature algorithm/);
    expect(await storedJwksProblem({ keys: [{ ...pubRsa, use: 'enc' }] })).toMatch(/use must be "sig"/);
    expect(await storedJwksProblem({ keys: [] })).toMatch(/at least one key/);
    expect(await storedJwksProblem({ keys: Array.from({ length: 101 }, () => pubRsa) })).toMatch(/at most 100 keys/);
    expect(await storedJwksProblem({ keys: [pubRsa], extra: 1 })).toMatch(/only "keys"/);
    expect(await storedJwksProblem([pubRsa])).toMatch(/"keys" array/);
    expect(await storedJwksProblem({ keys: ['x'] })).toMatch(/must be an object/);
  });
});
