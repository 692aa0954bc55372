import {
  AssumeRoleCommand,
  AssumeRoleWithWebIdentityCommand,
  ExpiredTokenException,
  GetCallerIdentityCommand,
  GetFederationTokenCommand,
  GetSessionTokenCommand,
  IDPCommunicationErrorException,
  IDPRejectedClaimException,
  InvalidIdentityTokenException,
  MalformedPolicyDocumentException,
  PackedPolicyTooLargeException,
  STSClient,
  type STSClientConfig,
  STSServiceException,
} from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountWithRoot, bearer, bigintSafe, codeAt, READ_ONLY, type TestAccount } from '../support/factories.js';
import { startOidcIssuer, type TestOidcIssuer } from '../support/oidc-issuer.js';
import type { Keys } from '../support/sigv4-client.js';
import { allow, policyDoc, role, trustPolicy, userWithKey } from '../support/sts.js';
import { listen, startTestApp, uniq, type TestApp } from '../support/test-app.js';

const AUD = 'sts.amazonaws.com';

/** The pinned @aws-sdk/client-sts against the broker's AWS Query endpoint (POST /). */
describe('AWS Query: STS with @aws-sdk/client-sts', () => {
  let t: TestApp;
  let a: TestAccount;
  let endpoint: string;
  const clients: STSClient[] = [];

  beforeAll(async () => {
    t = await startTestApp();
    endpoint = await listen(t);
    a = await accountWithRoot(t);
  });
  afterAll(async () => {
    for (const c of clients) c.destroy();
    await t?.close();
  });

  /** An SDK client with the given credentials (none: anonymous, for AssumeRoleWithWebIdentity). */
  function sts(keys?: Keys, region = 'us-east-1'): STSClient {
    const c = new STSClient({
      endpoint,
      region,
      maxAttempts: 1,
      ...(keys ? { credentials: keys } : { credentials: { accessKeyId: 'unused', secretAccessKey: 'unused' }, signer: { sign: async (r: unknown) => r } as unknown as STSClientConfig['signer'] }),
    });
    clients.push(c);
    return c;
  }
  const fromCreds = (c: { AccessKeyId?: string; SecretAccessKey?: string; SessionToken?: string } | undefined): Keys => ({
    accessKeyId: c!.AccessKeyId!,
    secretAccessKey: c!.SecretAccessKey!,
    sessionToken: c!.SessionToken!,
  });
  async function rejects(p: Promise<unknown>): Promise<STSServiceException & { $metadata: { httpStatusCode?: number } }> {
    try {
      await p;
    } catch (e) {
      return e as STSServiceException & { $metadata: { httpStatusCode?: number } };
    }
    throw new Error('expected the call to fail');
  }

  it('GetCallerIdentity for a user key and for session credentials; XML with the request id', async () => {
    const u = await userWithKey(t, a);
    const id = await sts(u.keys).send(new GetCallerIdentityCommand({}));
    expect(id).toMatchObject({ Account: a.accountId, Arn: u.arn, UserId: expect.stringMatching(/^AIDA/) });
    expect(id.$metadata.httpStatusCode).toBe(200);
    expect(id.$metadata.requestId).toMatch(/\S{8,}/);
    const session = await sts(u.keys).send(new GetSessionTokenCommand({ DurationSeconds: 900 }));
    const again = await sts(fromCreds(session.Credentials)).send(new GetCallerIdentityCommand({}));
    expect(again.Arn).toBe(u.arn);
  });

  it('GetSessionToken: ASIA credentials with an expiry, MFA accepted; session credentials cannot call it', async () => {
    const u = await userWithKey(t, a);
    const base = `/v1/accounts/${a.accountId}/users/${u.userName}/mfa-devices`;
    const d = await t.http.post(base).set(bearer(a.rootToken)).send({ deviceName: uniq('dev-') });
    expect(d.status).toBe(201);
    const seed = d.body.base32StringSeed as string;
    expect((await t.http.post(`${base}/enable`).set(bearer(a.rootToken)).send({ serialNumber: d.body.serialNumber, authenticationCode1: codeAt(seed, -9), authenticationCode2: codeAt(seed, -8) })).status).toBe(201);

    const before = Date.now();
    const r = await sts(u.keys).send(new GetSessionTokenCommand({ DurationSeconds: 3600, SerialNumber: d.body.serialNumber, TokenCode: codeAt(seed) }));
    expect(r.Credentials?.AccessKeyId).toMatch(/^ASIA[A-Z2-7]{16}$/);
    expect(r.Credentials?.SecretAccessKey).toHaveLength(40);
    expect(r.Credentials?.SessionToken).toBeTruthy();
    expect(r.Credentials?.Expiration).toBeInstanceOf(Date);
    const ttl = r.Credentials!.Expiration!.getTime() - before;
    expect(ttl).toBeGreaterThan(3_590_000);
    expect(ttl).toBeLessThan(3_610_000);

    const badCode = await rejects(sts(u.keys).send(new GetSessionTokenCommand({ SerialNumber: d.body.serialNumber, TokenCode: '000000' })));
    expect(badCode.name).toBe('AccessDenied');
    expect(badCode.$metadata.httpStatusCode).toBe(403);
    expect(badCode.message).not.toContain('000000');

    const chained = await rejects(sts(fromCreds(r.Credentials)).send(new GetSessionTokenCommand({})));
    expect(chained).toBeInstanceOf(STSServiceException);
    expect(chained.name).toBe('AccessDenied');
  });

  it('AssumeRole: AssumedRoleUser, PackedPolicySize, SourceIdentity; tags and policy ARNs as list members; the session policy applies', async () => {
    const u = await userWithKey(t, a, policyDoc([allow(['sts:AssumeRole', 'sts:TagSession', 'sts:SetSourceIdentity'])]));
    const r0 = await role(t, a, trustPolicy(u.arn), { policies: [READ_ONLY] });
    const r = await sts(u.keys).send(
      new AssumeRoleCommand({
        RoleArn: r0.arn,
        RoleSessionName: 'wire',
        DurationSeconds: 900,
        Policy: JSON.stringify(policyDoc([allow('sts:GetCallerIdentity')])),
        PolicyArns: [{ arn: READ_ONLY }],
        Tags: [
          { Key: 'team', Value: 'blue' },
          { Key: 'cost', Value: 'c-1' },
        ],
        TransitiveTagKeys: ['team'],
        SourceIdentity: 'alice',
      }),
    );
    expect(r.AssumedRoleUser).toEqual({ Arn: `arn:aws:sts::${a.accountId}:assumed-role/${r0.roleName}/wire`, AssumedRoleId: `${r0.roleId}:wire` });
    expect(r.PackedPolicySize).toBeGreaterThan(0);
    expect(r.SourceIdentity).toBe('alice');
    expect(r.Credentials?.AccessKeyId).toMatch(/^ASIA/);
    const me = await sts(fromCreds(r.Credentials)).send(new GetCallerIdentityCommand({}));
    expect(me.Arn).toBe(r.AssumedRoleUser?.Arn);
    const session = await t.prisma.stsSession.findUnique({ where: { accessKeyId: r.Credentials!.AccessKeyId! } });
    expect(session?.tags).toMatchObject({ team: 'blue', cost: 'c-1' });
  });

  it('AssumeRole errors arrive as the SDK classes: MalformedPolicyDocument, PackedPolicyTooLarge, AccessDenied, ValidationError', async () => {
    const u = await userWithKey(t, a, policyDoc([allow(['sts:AssumeRole', 'sts:TagSession'])]));
    const r0 = await role(t, a, trustPolicy(u.arn));
    const c = sts(u.keys);

    const malformed = await rejects(c.send(new AssumeRoleCommand({ RoleArn: r0.arn, RoleSessionName: 'ok-name', Policy: '{"Version":"2012-10-17","Statement":' })));
    expect(malformed).toBeInstanceOf(MalformedPolicyDocumentException);
    expect(malformed.$metadata.httpStatusCode).toBe(400);

    const bigTags = Array.from({ length: 10 }, (_, i) => ({ Key: `k${i}`.padEnd(128, 'k'), Value: 'v'.repeat(256) }));
    const packed = await rejects(c.send(new AssumeRoleCommand({ RoleArn: r0.arn, RoleSessionName: 'ok-name', Tags: bigTags })));
    expect(packed).toBeInstanceOf(PackedPolicyTooLargeException);
    expect(packed.$metadata.httpStatusCode).toBe(400);

    const stranger = await userWithKey(t, a);
    const denied = await rejects(sts(stranger.keys).send(new AssumeRoleCommand({ RoleArn: r0.arn, RoleSessionName: 'ok-name' })));
    expect(denied).toBeInstanceOf(STSServiceException);
    expect(denied.name).toBe('AccessDenied');
    expect(denied.$fault).toBe('client');
    expect(denied.$metadata.httpStatusCode).toBe(403);

    const invalid = await rejects(c.send(new AssumeRoleCommand({ RoleArn: r0.arn, RoleSessionName: 'bad name!' })));
    expect(invalid.name).toBe('ValidationError');
    expect(invalid.message).toMatch(/roleSessionName/);
    expect(invalid.$metadata.httpStatusCode).toBe(400);
  });

  it('GetFederationToken: FederatedUser and PackedPolicySize', async () => {
    const u = await userWithKey(t, a, policyDoc([allow('sts:GetFederationToken')]));
    const r = await sts(u.keys).send(new GetFederationTokenCommand({ Name: 'fed-bob', DurationSeconds: 900, Policy: JSON.stringify(policyDoc([allow('sts:GetCallerIdentity')])) }));
    expect(r.FederatedUser).toEqual({ Arn: `arn:aws:sts::${a.accountId}:federated-user/fed-bob`, FederatedUserId: expect.stringMatching(/:fed-bob$/) });
    expect(r.PackedPolicySize).toBeGreaterThan(0);
    expect(r.Credentials?.AccessKeyId).toMatch(/^ASIA/);
    const me = await sts(fromCreds(r.Credentials)).send(new GetCallerIdentityCommand({}));
    expect(me.Arn).toBe(r.FederatedUser?.Arn);
  });

  it('authentication errors: unknown key InvalidClientTokenId, wrong secret SignatureDoesNotMatch, expired session ExpiredToken (403)', async () => {
    const unknown = await rejects(sts({ accessKeyId: 'AKIAAAAAAAAAAAAAAAAA', secretAccessKey: 'x'.repeat(40) }).send(new GetCallerIdentityCommand({})));
    expect(unknown.name).toBe('InvalidClientTokenId');
    expect(unknown.$metadata.httpStatusCode).toBe(403);
    const u = await userWithKey(t, a);
    const wrong = await rejects(sts({ ...u.keys, secretAccessKey: 'y'.repeat(40) }).send(new GetCallerIdentityCommand({})));
    expect(wrong.name).toBe('SignatureDoesNotMatch');
    expect(wrong.$metadata.httpStatusCode).toBe(403);

    const s = await sts(u.keys).send(new GetSessionTokenCommand({ DurationSeconds: 900 }));
    await t.prisma.stsSession.update({ where: { accessKeyId: s.Credentials!.AccessKeyId! }, data: { expiresAt: new Date(Date.now() - 1000) } });
    await new Promise((r) => setTimeout(r, 900)); // the session cache keeps a row for at most 800 ms
    const expired = await rejects(sts(fromCreds(s.Credentials)).send(new GetCallerIdentityCommand({})));
    expect(expired.name).toBe('ExpiredToken');
    expect(expired.$metadata.httpStatusCode).toBe(403);
  });

  describe('AssumeRoleWithWebIdentity (anonymous)', () => {
    let idp: TestOidcIssuer;
    let host: string;
    let ci: { arn: string; roleName: string; roleId: string };
    beforeAll(async () => {
      idp = await startOidcIssuer();
      const p = await t.http.post(`/v1/accounts/${a.accountId}/oidc-providers`).set(bearer(a.rootToken)).send({ url: idp.url, clientIdList: [AUD] });
      expect(p.status, JSON.stringify(p.body)).toBe(201);
      host = idp.url.replace(/^https?:\/\//, '');
      ci = await role(
        t,
        a,
        { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Federated: p.body.arn }, Action: 'sts:AssumeRoleWithWebIdentity', Condition: { StringEquals: { [`${host}:aud`]: AUD } } }] },
        { policies: [READ_ONLY], claimMapping: { sessionTags: { repository: 'repository' }, sourceIdentity: 'actor' } },
      );
    });
    afterAll(async () => {
      await idp?.close();
    });
    const claims = (over: Record<string, unknown> = {}) => ({ sub: 'repo:acme/app', aud: AUD, repository: 'acme/app', actor: 'octocat', ...over });

    it('exchanges a token: SubjectFromWebIdentityToken, Audience, Provider, SourceIdentity, AssumedRoleUser', async () => {
      const r = await sts().send(new AssumeRoleWithWebIdentityCommand({ RoleArn: ci.arn, RoleSessionName: 'ci', WebIdentityToken: await idp.issueToken(claims()), DurationSeconds: 900 }));
      expect(r).toMatchObject({
        SubjectFromWebIdentityToken: 'repo:acme/app',
        Audience: AUD,
        Provider: expect.stringContaining(':oidc-provider/'),
        SourceIdentity: 'octocat',
        AssumedRoleUser: { Arn: `arn:aws:sts::${a.accountId}:assumed-role/${ci.roleName}/ci`, AssumedRoleId: `${ci.roleId}:ci` },
      });
      expect(r.PackedPolicySize).toBeGreaterThanOrEqual(0);
      const me = await sts(fromCreds(r.Credentials)).send(new GetCallerIdentityCommand({}));
      expect(me.Arn).toBe(r.AssumedRoleUser?.Arn);
    });

    it('errors arrive as ExpiredTokenException, InvalidIdentityTokenException, IDPRejectedClaimException, IDPCommunicationErrorException', async () => {
      const ask = async (token: string, roleArn = ci.arn) => rejects(sts().send(new AssumeRoleWithWebIdentityCommand({ RoleArn: roleArn, RoleSessionName: 'ci', WebIdentityToken: token })));

      const expired = await ask(await idp.issueToken(claims(), { expiresIn: -60 }));
      expect(expired).toBeInstanceOf(ExpiredTokenException);
      expect(expired.$metadata.httpStatusCode).toBe(400);

      const forged = await ask(await idp.issueToken(claims(), { key: 'unknown' }));
      expect(forged).toBeInstanceOf(InvalidIdentityTokenException);
      expect(forged.$metadata.httpStatusCode).toBe(400);

      const rejected = await ask(await idp.issueToken(claims({ repository: 'bad#value<>'.repeat(30) })));
      expect(rejected).toBeInstanceOf(IDPRejectedClaimException);
      expect(rejected.$metadata.httpStatusCode).toBe(403);

      // A provider whose issuer has gone away: its keys cannot be fetched.
      const gone = await startOidcIssuer();
      const p = await t.http.post(`/v1/accounts/${a.accountId}/oidc-providers`).set(bearer(a.rootToken)).send({ url: gone.url, clientIdList: [AUD] });
      expect(p.status, JSON.stringify(p.body)).toBe(201);
      const goneRole = await role(t, a, { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Federated: p.body.arn }, Action: 'sts:AssumeRoleWithWebIdentity' }] });
      const token = await gone.issueToken(claims());
      await gone.close();
      const unreachable = await ask(token, goneRole.arn);
      expect(unreachable).toBeInstanceOf(IDPCommunicationErrorException);
      expect(unreachable.$metadata.httpStatusCode).toBe(400);
    });
  });

  it('tenant isolation: another account cannot assume a role it is not trusted by, nor see another account in its identity', async () => {
    const b = await accountWithRoot(t);
    const mine = await userWithKey(t, a, policyDoc([allow('sts:AssumeRole')]));
    const r0 = await role(t, a, trustPolicy(mine.arn), { policies: [READ_ONLY] });
    const stranger = await userWithKey(t, b, policyDoc([allow('sts:AssumeRole')]));
    const denied = await rejects(sts(stranger.keys).send(new AssumeRoleCommand({ RoleArn: r0.arn, RoleSessionName: 'cross' })));
    expect(denied.name).toBe('AccessDenied');
    expect(denied.$metadata.httpStatusCode).toBe(403);
    // a role that does not exist answers the same (no probing of another account's roles)
    const missing = await rejects(sts(stranger.keys).send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${a.accountId}:role/${uniq('none-')}`, RoleSessionName: 'cross' })));
    expect(missing.name).toBe('AccessDenied');
    expect((await sts(stranger.keys).send(new GetCallerIdentityCommand({}))).Account).toBe(b.accountId);
    expect(await t.prisma.stsSession.count({ where: { accountId: a.accountId, callerArn: stranger.arn } })).toBe(0);
  });

  it('other actions need a signature: MissingAuthenticationToken (403)', async () => {
    const r = await rejects(sts().send(new GetCallerIdentityCommand({})));
    expect(r.name).toBe('MissingAuthenticationToken');
    expect(r.$metadata.httpStatusCode).toBe(403);
  });

  it('answers are text/xml with x-amzn-RequestId and no-store, in the STS namespace', async () => {
    const u = await userWithKey(t, a);
    const c = sts(u.keys);
    let raw: { headers: Record<string, string>; body: string } | undefined;
    c.middlewareStack.add(
      (next) => async (args) => {
        const out = await next(args);
        const res = out.response as { headers: Record<string, string>; body: NodeJS.ReadableStream };
        const chunks: Buffer[] = [];
        for await (const ch of res.body) chunks.push(Buffer.from(ch as Buffer));
        const body = Buffer.concat(chunks).toString('utf8');
        raw = { headers: res.headers, body };
        const { Readable } = await import('node:stream');
        (out.response as { body: unknown }).body = Readable.from([Buffer.from(body)]);
        return out;
      },
      { step: 'deserialize', priority: 'low' },
    );
    await c.send(new GetSessionTokenCommand({ DurationSeconds: 900 }));
    expect(raw?.headers['content-type']).toBe('text/xml');
    expect(raw?.headers['cache-control']).toBe('no-store');
    expect(raw?.headers['x-amzn-requestid']).toBeTruthy();
    expect(raw?.body).toContain('<GetSessionTokenResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetSessionTokenResult><Credentials><AccessKeyId>ASIA');
    expect(raw?.body).toContain(`<ResponseMetadata><RequestId>${raw?.headers['x-amzn-requestid']}</RequestId></ResponseMetadata>`);
    expect(raw?.body).toMatch(/<Expiration>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ<\/Expiration>/);
  });

  it('refusals over this transport are audited like REST ones (no secret in the record)', async () => {
    const u = await userWithKey(t, a);
    const r0 = await role(t, a, trustPolicy(`arn:aws:iam::${a.accountId}:user/${uniq('nobody-')}`));
    await rejects(sts(u.keys).send(new AssumeRoleCommand({ RoleArn: r0.arn, RoleSessionName: 'nope' })));
    const mine = await t.prisma.auditEvent.findMany({ where: { chain: a.accountId, outcome: 'denied', action: 'sts:AssumeRole', actorArn: u.arn } });
    expect(mine.length).toBeGreaterThan(0);
    expect(mine[0].errorCode).toBe('AccessDenied');
    expect(bigintSafe(mine)).not.toContain(u.keys.secretAccessKey);
  });
});

describe('AWS Query: the regions a broker accepts (SIGV4_REGIONS)', () => {
  let t: TestApp;
  let endpoint: string;
  const clients: STSClient[] = [];

  beforeAll(async () => {
    t = await startTestApp({ SIGV4_REGIONS: 'us-east-1,eu-west-1' });
    endpoint = await listen(t);
  });
  afterAll(async () => {
    for (const c of clients) c.destroy();
    await t?.close();
  });

  it('a signature scoped to another region is refused (SignatureDoesNotMatch) and audited; a listed region works', async () => {
    const a = await accountWithRoot(t);
    const u = await userWithKey(t, a);
    const client = (region: string) => {
      const c = new STSClient({ endpoint, region, maxAttempts: 1, credentials: u.keys });
      clients.push(c);
      return c;
    };
    expect((await client('eu-west-1').send(new GetCallerIdentityCommand({}))).Arn).toBe(u.arn);
    const err = await client('ap-south-1').send(new GetCallerIdentityCommand({})).then(
      () => null,
      (e: STSServiceException & { $metadata: { httpStatusCode?: number } }) => e,
    );
    expect(err?.name).toBe('SignatureDoesNotMatch');
    expect(err?.$metadata.httpStatusCode).toBe(403);
    expect(err?.message).toMatch(/valid region, not 'ap-south-1'/);
    const rec = await t.prisma.auditEvent.findFirst({ where: { chain: a.accountId, action: 'sts:AuthenticateRequest', errorCode: 'SignatureDoesNotMatch' } });
    expect(rec?.accessKeyId).toBe(u.keys.accessKeyId);
  });
});
