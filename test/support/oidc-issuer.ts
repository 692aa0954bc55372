import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';

/**
 * A test OIDC issuer (like GitHub Actions' token.actions.githubusercontent.com) on a free loopback port.
 *
 *   const idp = await startOidcIssuer();
 *   // register idp.url as an OIDC provider (the broker needs OIDC_ALLOW_LOOPBACK, the default outside production)
 *   const token = await idp.issueToken({ sub: 'repo:org/app:ref:refs/heads/main', aud: 'sts.amazonaws.com' });
 *   await idp.close();
 *
 * It serves GET /.well-known/openid-configuration ({issuer, jwks_uri}) and GET /jwks (every public key
 * it has, old ones included). Anything else is 404.
 */
export interface TestOidcIssuer {
  /** The issuer URL, `http://127.0.0.1:<port>` (no trailing slash): the tokens' `iss` and the provider URL. */
  readonly url: string;
  /** `<url>/jwks`. */
  readonly jwksUri: string;
  /** The key ids the next tokens are signed with, per algorithm. */
  readonly currentKids: { RS256: string; ES256: string };
  /** How many times the JWKS was fetched (for cache tests). */
  readonly jwksFetches: number;
  /** The JWKS currently served (public keys), e.g. to store it with a provider. */
  jwks(): { keys: JWK[] };
  /**
   * A signed JWT. Defaults: `iss` = url, `iat` = now, `exp` = now + expiresIn (600 s; negative for an
   * expired token), header `kid` = the current key's. `claims` override the defaults (give `iss`, `iat`,
   * `exp`, `nbf` to set them). `alg`: RS256 (default) or ES256. `key: 'unknown'`: signed with a fresh key
   * the issuer never publishes (header kid = `opts.kid` or a fresh unknown id). `kid` alone only changes
   * the header (`kid: null` leaves it out).
   */
  issueToken(claims?: Record<string, unknown>, opts?: IssueOptions): Promise<string>;
  /** Adds a new key pair per algorithm and signs with it from now on; older keys stay published. Returns the new RS256 kid. */
  rotate(): Promise<string>;
  close(): Promise<void>;
}

export interface IssueOptions {
  kid?: string | null;
  alg?: 'RS256' | 'ES256';
  expiresIn?: number;
  key?: 'unknown';
}

type Alg = 'RS256' | 'ES256';
interface KeyEntry {
  kid: string;
  alg: Alg;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

async function newKey(alg: Alg, kid = `${alg.toLowerCase()}-${randomBytes(6).toString('hex')}`): Promise<KeyEntry> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { kid, alg, privateKey, publicJwk };
}

export async function startOidcIssuer(): Promise<TestOidcIssuer> {
  const keys: KeyEntry[] = [await newKey('RS256'), await newKey('ES256')];
  const current = { RS256: keys[0]!, ES256: keys[1]! };
  let jwksFetches = 0;
  let url = '';

  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    const send = (body: unknown) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method === 'GET' && path === '/.well-known/openid-configuration') {
      return send({ issuer: url, jwks_uri: `${url}/jwks`, response_types_supported: ['id_token'], subject_types_supported: ['public'], id_token_signing_alg_values_supported: ['RS256', 'ES256'] });
    }
    if (req.method === 'GET' && path === '/jwks') {
      jwksFetches++;
      return send({ keys: keys.map((k) => k.publicJwk) });
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end('{"error":"not found"}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    jwksUri: `${url}/jwks`,
    get currentKids() {
      return { RS256: current.RS256.kid, ES256: current.ES256.kid };
    },
    get jwksFetches() {
      return jwksFetches;
    },
    jwks: () => ({ keys: keys.map((k) => ({ ...k.publicJwk })) }),
    async issueToken(claims = {}, opts = {}) {
      const alg = opts.alg ?? 'RS256';
      const signer = opts.key === 'unknown' ? await newKey(alg, `unknown-${randomBytes(6).toString('hex')}`) : current[alg];
      const kid = opts.kid === null ? undefined : (opts.kid ?? signer.kid);
      const now = Math.floor(Date.now() / 1000);
      const payload = { iss: url, iat: now, exp: now + (opts.expiresIn ?? 600), ...claims };
      return new SignJWT(payload).setProtectedHeader({ alg, typ: 'JWT', ...(kid !== undefined ? { kid } : {}) }).sign(signer.privateKey);
    },
    async rotate() {
      const rsa = await newKey('RS256');
      const ec = await newKey('ES256');
      keys.push(rsa, ec);
      current.RS256 = rsa;
      current.ES256 = ec;
      return rsa.kid;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((e) => (e ? reject(e) : resolve()));
      }),
  };
}
