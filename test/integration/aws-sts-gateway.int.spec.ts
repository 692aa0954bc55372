import { randomBytes } from 'node:crypto';
import { createServer as createHttpServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { CreateRoleCommand, GetRolePolicyCommand, IAMClient } from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DomainError } from '../../src/common/errors/domain-error.js';
import { loadConfig } from '../../src/config/app-config.js';
import { AwsIamGateway } from '../../src/modules/aws/aws-iam.gateway.js';
import { AwsStsGateway, type UpstreamAssumeRoleRequest } from '../../src/modules/aws/aws-sts.gateway.js';
import { freeLoopbackPort, MOTO_ACCESS_KEY_ID, MOTO_REGION, MOTO_SECRET_ACCESS_KEY, startMoto, type Moto } from '../support/moto.js';

const AWS_ACCOUNT = '123456789012'; // moto's default account

/** A unique suffix (moto is shared by the whole file). */
const uniq = (p = '') => p + randomBytes(5).toString('hex');

/**
 * Config from the real loader, pointed at `endpoint` (loadConfig directly rather than testConfig:
 * this suite builds the gateways alone, without importing the whole app).
 */
function config(endpoint: string, env: Record<string, string> = {}) {
  return loadConfig({
    NODE_ENV: 'test',
    DATA_DIR: 'memory://',
    AWS_UPSTREAM_ENDPOINT: endpoint,
    AWS_UPSTREAM_REGION: MOTO_REGION,
    AWS_UPSTREAM_MAX_ATTEMPTS: '2',
    AWS_UPSTREAM_TIMEOUT_MS: '2000',
    AWS_UPSTREAM_STS_CACHE_MAX_REUSE_SECONDS: '300',
    AWS_UPSTREAM_STS_CACHE_MIN_REMAINING_SECONDS: '60',
    ...env,
  });
}

/** The DomainError a promise rejects with (fails the test if it resolves or throws something else). */
async function domainError(p: Promise<unknown>): Promise<DomainError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(DomainError);
    return e as DomainError;
  }
  throw new Error('expected a DomainError, but the call succeeded');
}

const listen = (srv: Server) => new Promise<number>((resolve) => srv.listen(0, '127.0.0.1', () => resolve((srv.address() as { port: number }).port)));
const closeServer = (srv: Server) => new Promise<void>((resolve) => srv.close(() => resolve()));

const readBody = (req: IncomingMessage) =>
  new Promise<string>((resolve) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => (body += d));
    req.on('end', () => resolve(body));
  });

/** A loopback proxy to moto that records the query-protocol requests passing through (what moto sees). */
async function recordingProxy(target: string) {
  const requests: URLSearchParams[] = [];
  const t = new URL(target);
  const srv = createHttpServer(async (req, res) => {
    const body = await readBody(req);
    requests.push(new URLSearchParams(body));
    const up = httpRequest({ host: t.hostname, port: t.port, method: req.method, path: req.url, headers: req.headers }, (upRes) => {
      res.writeHead(upRes.statusCode ?? 502, upRes.headers);
      upRes.pipe(res);
    });
    up.on('error', () => res.destroy());
    up.end(body);
  });
  const port = await listen(srv);
  const count = (action: string) => requests.filter((r) => r.get('Action') === action).length;
  return { endpoint: `http://127.0.0.1:${port}`, requests, count, close: () => closeServer(srv) };
}

/** A scripted STS endpoint for answers moto cannot produce (refusals, throttling, malformed policies). */
async function fakeSts(handler: (params: URLSearchParams, res: ServerResponse) => void) {
  const requests: URLSearchParams[] = [];
  const srv = createHttpServer(async (req, res) => {
    const params = new URLSearchParams(await readBody(req));
    requests.push(params);
    handler(params, res);
  });
  const port = await listen(srv);
  return { endpoint: `http://127.0.0.1:${port}`, requests, close: () => closeServer(srv) };
}

const stsError = (res: ServerResponse, status: number, code: string, message: string, requestId: string) => {
  res.writeHead(status, { 'content-type': 'text/xml', 'x-amzn-requestid': requestId });
  res.end(
    `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>${status >= 500 ? 'Receiver' : 'Sender'}</Type>` +
      `<Code>${code}</Code><Message>${message}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
  );
};

const SAVED_ENV = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_EC2_METADATA_DISABLED'] as const;

describe('AwsStsGateway', () => {
  let moto: Moto;
  let proxy: Awaited<ReturnType<typeof recordingProxy>>;
  let iam: IAMClient;
  let roleArn: string;
  let roleName: string;
  const saved: Record<string, string | undefined> = {};
  const destroyers: { onModuleDestroy(): void }[] = [];
  const track = <G extends { onModuleDestroy(): void }>(g: G) => (destroyers.push(g), g);
  const sts = (env: Record<string, string> = {}, endpoint = proxy.endpoint) => track(new AwsStsGateway(config(endpoint, env)));

  const request = (over: Partial<UpstreamAssumeRoleRequest> = {}): UpstreamAssumeRoleRequest => ({
    roleArn,
    roleSessionName: 'broker-session',
    durationSeconds: 3600,
    ...over,
  });

  beforeAll(async () => {
    // The gateway's credentials come from the SDK default chain: the env provider, with moto's dummy keys.
    for (const k of SAVED_ENV) saved[k] = process.env[k];
    process.env.AWS_ACCESS_KEY_ID = MOTO_ACCESS_KEY_ID;
    process.env.AWS_SECRET_ACCESS_KEY = MOTO_SECRET_ACCESS_KEY;
    delete process.env.AWS_SESSION_TOKEN;
    process.env.AWS_EC2_METADATA_DISABLED = 'true';
    moto = await startMoto();
    proxy = await recordingProxy(moto.endpoint);
    iam = new IAMClient({
      endpoint: moto.endpoint,
      region: MOTO_REGION,
      credentials: { accessKeyId: MOTO_ACCESS_KEY_ID, secretAccessKey: MOTO_SECRET_ACCESS_KEY },
      maxAttempts: 1,
    });
    roleName = uniq('upstream-');
    const trust = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${AWS_ACCOUNT}:root` }, Action: 'sts:AssumeRole' }] };
    const out = await iam.send(new CreateRoleCommand({ RoleName: roleName, Path: '/brokered/', AssumeRolePolicyDocument: JSON.stringify(trust) }));
    roleArn = out.Role!.Arn!;
    expect(roleArn).toBe(`arn:aws:iam::${AWS_ACCOUNT}:role/brokered/${roleName}`);
  });

  afterAll(async () => {
    for (const g of destroyers) g.onModuleDestroy();
    iam?.destroy();
    await proxy?.close();
    await moto?.stop();
    for (const k of SAVED_ENV) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  });

  describe('against moto', () => {
    it('assumes the AWS role and maps the response', async () => {
      const gw = sts();
      const before = Date.now();
      const c = await gw.assumeRole(request({ roleSessionName: 'alice-session', durationSeconds: 1800 }), uniq('key-'));
      expect(c.accessKeyId).toMatch(/^ASIA[A-Z0-9]{16}$/);
      expect(c.secretAccessKey.length).toBeGreaterThanOrEqual(40);
      expect(c.sessionToken.length).toBeGreaterThan(40);
      expect(c.expiration).toBeInstanceOf(Date);
      // moto issues for exactly DurationSeconds (to the second).
      expect(c.expiration.getTime()).toBeGreaterThanOrEqual(before + 1800_000 - 2_000);
      expect(c.expiration.getTime()).toBeLessThanOrEqual(Date.now() + 1800_000 + 2_000);
      expect(c.assumedRoleUser.arn).toBe(`arn:aws:sts::${AWS_ACCOUNT}:assumed-role/${roleName}/alice-session`);
      expect(c.assumedRoleUser.assumedRoleId).toMatch(/^AROA[A-Z0-9]+:alice-session$/);
      expect(c.packedPolicySize).toBe(6); // what moto always answers
      expect(c.requestId).toEqual(expect.any(String));
      expect(c.reused).toBe(false);

      // The credentials work: moto knows who they belong to.
      const client = new STSClient({ endpoint: moto.endpoint, region: MOTO_REGION, credentials: c, maxAttempts: 1 });
      try {
        expect((await client.send(new GetCallerIdentityCommand({}))).Arn).toBe(c.assumedRoleUser.arn);
      } finally {
        client.destroy();
      }
    });

    it('passes every request field to AWS STS AssumeRole', async () => {
      const gw = sts();
      const policy = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }] });
      const from = proxy.requests.length;
      await gw.assumeRole(
        request({
          roleSessionName: 'fields',
          durationSeconds: 900,
          policy,
          policyArns: ['arn:aws:iam::aws:policy/ReadOnlyAccess', 'arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess'],
          externalId: 'ext-123',
          tags: [
            { Key: 'team', Value: 'blue' },
            { Key: 'project', Value: 'x' },
          ],
          transitiveTagKeys: ['team'],
          sourceIdentity: 'alice',
        }),
        uniq('key-'),
      );
      const sent = proxy.requests.slice(from).filter((r) => r.get('Action') === 'AssumeRole');
      expect(sent).toHaveLength(1);
      expect(Object.fromEntries([...sent[0].entries()].filter(([k]) => k !== 'Version'))).toEqual({
        Action: 'AssumeRole',
        RoleArn: roleArn,
        RoleSessionName: 'fields',
        DurationSeconds: '900',
        Policy: policy,
        'PolicyArns.member.1.arn': 'arn:aws:iam::aws:policy/ReadOnlyAccess',
        'PolicyArns.member.2.arn': 'arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess',
        ExternalId: 'ext-123',
        'Tags.member.1.Key': 'team',
        'Tags.member.1.Value': 'blue',
        'Tags.member.2.Key': 'project',
        'Tags.member.2.Value': 'x',
        'TransitiveTagKeys.member.1': 'team',
        SourceIdentity: 'alice',
      });
    });

    it('shares one AWS call between 20 concurrent identical requests, then reuses it', async () => {
      const gw = sts();
      const key = uniq('key-');
      const before = proxy.count('AssumeRole');
      const all = await Promise.all(Array.from({ length: 20 }, () => gw.assumeRole(request({ roleSessionName: 'shared' }), key)));
      expect(proxy.count('AssumeRole') - before).toBe(1);
      expect(new Set(all.map((c) => c.accessKeyId)).size).toBe(1);
      expect(all.every((c) => c.reused === false)).toBe(true);
      // Each caller has its own copy.
      all[0].assumedRoleUser.arn = 'changed';
      expect(all[1].assumedRoleUser.arn).not.toBe('changed');

      const later = await gw.assumeRole(request({ roleSessionName: 'shared' }), key);
      expect(proxy.count('AssumeRole') - before).toBe(1);
      expect(later.reused).toBe(true);
      expect(later.accessKeyId).toBe(all[1].accessKeyId);
      expect(later.sessionToken).toBe(all[1].sessionToken);
      expect(later.requestId).toBe(all[1].requestId);
      expect(later.assumedRoleUser.arn).toBe(`arn:aws:sts::${AWS_ACCOUNT}:assumed-role/${roleName}/shared`);
    });

    it('calls AWS again for a different session policy, duration, share key or session name', async () => {
      const gw = sts();
      const key = uniq('key-');
      const before = proxy.count('AssumeRole');
      const base = await gw.assumeRole(request({ roleSessionName: 'variants' }), key);
      const policy = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] });
      const variants = [
        await gw.assumeRole(request({ roleSessionName: 'variants', policy }), key),
        await gw.assumeRole(request({ roleSessionName: 'variants', durationSeconds: 3000 }), key),
        await gw.assumeRole(request({ roleSessionName: 'variants' }), uniq('other-key-')),
        await gw.assumeRole(request({ roleSessionName: 'variants-2' }), key),
      ];
      expect(proxy.count('AssumeRole') - before).toBe(5);
      expect(new Set([base, ...variants].map((c) => c.accessKeyId)).size).toBe(5);
      expect(variants.every((c) => !c.reused)).toBe(true);
      // …and each of them is reused in turn.
      expect((await gw.assumeRole(request({ roleSessionName: 'variants', policy }), key)).accessKeyId).toBe(variants[0].accessKeyId);
      expect(proxy.count('AssumeRole') - before).toBe(5);
    });

    it('forget drops reusable credentials (revocation)', async () => {
      const gw = sts();
      const key = uniq('key-');
      const first = await gw.assumeRole(request({ roleSessionName: 'forget-me' }), key);
      await gw.assumeRole(request({ roleSessionName: 'keep-me' }), `${key}-keep`);
      const seen: string[] = [];
      const dropped = gw.forget((shareKey, creds) => {
        seen.push(shareKey);
        return creds.accessKeyId === first.accessKeyId;
      });
      expect(dropped).toBe(1);
      // The predicate receives the caller's share key, as given.
      expect(seen).toEqual(expect.arrayContaining([key, `${key}-keep`]));
      const again = await gw.assumeRole(request({ roleSessionName: 'forget-me' }), key);
      expect(again.reused).toBe(false);
      expect(again.accessKeyId).not.toBe(first.accessKeyId);
      expect((await gw.assumeRole(request({ roleSessionName: 'keep-me' }), `${key}-keep`)).reused).toBe(true);
    });

    it('with the cache off, shares concurrent calls but never reuses', async () => {
      const gw = sts({ AWS_UPSTREAM_STS_CACHE: 'false' });
      const key = uniq('key-');
      const before = proxy.count('AssumeRole');
      const pair = await Promise.all([gw.assumeRole(request(), key), gw.assumeRole(request(), key)]);
      expect(pair[0].accessKeyId).toBe(pair[1].accessKeyId);
      expect(proxy.count('AssumeRole') - before).toBe(1);
      const next = await gw.assumeRole(request(), key);
      expect(next.reused).toBe(false);
      expect(next.accessKeyId).not.toBe(pair[0].accessKeyId);
      expect(proxy.count('AssumeRole') - before).toBe(2);
    });

    it('does not reuse credentials with less than the minimum left to live', async () => {
      // 900 s sessions with 901 s required: never reusable. (Not 900: moto's expiry is its clock + 900 s, and the
      // SDK rounds its microseconds to the nearest millisecond, so a fast round trip leaves exactly 900 s, which
      // meets a 900 s minimum: the test failed about one run in six.)
      const gw = sts({ AWS_UPSTREAM_STS_CACHE_MIN_REMAINING_SECONDS: '901' });
      const key = uniq('key-');
      const before = proxy.count('AssumeRole');
      await gw.assumeRole(request({ durationSeconds: 900 }), key);
      expect((await gw.assumeRole(request({ durationSeconds: 900 }), key)).reused).toBe(false);
      expect(proxy.count('AssumeRole') - before).toBe(2);
    });
  });

  describe('AwsIamGateway.revokeOlderSessions against moto', () => {
    const revocation = async (name: string) => {
      const doc = (await iam.send(new GetRolePolicyCommand({ RoleName: name, PolicyName: 'AWSRevokeOlderSessions' }))).PolicyDocument!;
      return JSON.parse(doc.startsWith('%') ? decodeURIComponent(doc) : doc) as unknown;
    };
    const expected = (iso: string) => ({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Deny', Action: '*', Resource: '*', Condition: { DateLessThan: { 'aws:TokenIssueTime': iso } } }],
    });

    it('puts the AWSRevokeOlderSessions inline policy on the role, never moving the cutoff back', async () => {
      const gw = track(new AwsIamGateway(config(moto.endpoint)));
      const t1 = new Date('2030-01-02T03:04:05.678Z');
      await gw.revokeOlderSessions(roleArn, t1);
      expect(await revocation(roleName)).toEqual(expected('2030-01-02T03:04:05.678Z'));

      await gw.revokeOlderSessions(roleArn, new Date('2029-01-01T00:00:00Z'));
      expect(await revocation(roleName)).toEqual(expected('2030-01-02T03:04:05.678Z'));

      await gw.revokeOlderSessions(roleArn, new Date('2031-01-01T00:00:00Z'));
      expect(await revocation(roleName)).toEqual(expected('2031-01-01T00:00:00.000Z'));
    });

    it('answers NoSuchEntity for a role missing in AWS and ValidationError for a non-role ARN', async () => {
      const gw = track(new AwsIamGateway(config(moto.endpoint)));
      expect((await domainError(gw.revokeOlderSessions(`arn:aws:iam::${AWS_ACCOUNT}:role/${uniq('ghost-')}`, new Date()))).code).toBe('NoSuchEntity');
      expect((await domainError(gw.revokeOlderSessions(`arn:aws:iam::${AWS_ACCOUNT}:user/alice`, new Date()))).code).toBe('ValidationError');
    });
  });

  describe('when AWS STS is unreachable or refuses', () => {
    it('answers UpstreamUnavailable quickly for a closed port, to every concurrent caller, and remembers nothing', async () => {
      const port = await freeLoopbackPort(); // closed again: nothing listens there
      const gw = sts({ AWS_UPSTREAM_TIMEOUT_MS: '500' }, `http://127.0.0.1:${port}`);
      const t0 = Date.now();
      const errors = await Promise.all(Array.from({ length: 5 }, () => domainError(gw.assumeRole(request(), 'k'))));
      expect(Date.now() - t0).toBeLessThan(10_000);
      for (const e of errors) {
        expect(e.code).toBe('UpstreamUnavailable');
        expect(e.message).toBe('AWS STS is unreachable (connection failed or timed out); try again later.');
      }
      expect((await domainError(gw.assumeRole(request(), 'k'))).code).toBe('UpstreamUnavailable');
    });

    it('maps AccessDenied, throttling, malformed policies and invalid durations', async () => {
      let answer: [number, string, string] = [403, 'AccessDenied', 'User: arn:aws:iam::123456789012:user/broker is not authorized to perform: sts:AssumeRole'];
      const fake = await fakeSts((_p, res) => stsError(res, answer[0], answer[1], answer[2], 'req-sts'));
      const gw = sts({}, fake.endpoint);
      try {
        const denied = await domainError(gw.assumeRole(request(), 'k1'));
        expect(denied.code).toBe('UpstreamError');
        expect(denied.message).toMatch(/^AWS STS refused to let the broker assume the AWS role \(AccessDenied\) \(AWS request id req-sts\); the AWS role's trust policy/);
        expect(denied.message).not.toContain(MOTO_ACCESS_KEY_ID);
        expect(fake.requests).toHaveLength(1); // not retried

        answer = [400, 'Throttling', 'Rate exceeded'];
        fake.requests.length = 0;
        const slow = await domainError(gw.assumeRole(request(), 'k2'));
        expect(slow.code).toBe('Throttling');
        expect(slow.retryAfterSeconds).toBeGreaterThan(0);
        expect(slow.message).toBe("AWS STS is throttling the broker's requests; try again later (AWS request id req-sts).");
        expect(fake.requests).toHaveLength(2); // the SDK retried (AWS_UPSTREAM_MAX_ATTEMPTS=2)

        answer = [400, 'MalformedPolicyDocument', 'The policy is not in the valid JSON format.'];
        const malformed = await domainError(gw.assumeRole(request({ policy: '{"Version":' }), 'k3'));
        expect(malformed.code).toBe('MalformedPolicyDocument');

        answer = [400, 'PackedPolicyTooLarge', 'Serialized token too large for session'];
        expect((await domainError(gw.assumeRole(request({ policy: '{}' }), 'k4'))).code).toBe('PackedPolicyTooLarge');

        answer = [400, 'ValidationError', 'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.'];
        const invalid = await domainError(gw.assumeRole(request({ durationSeconds: 43200 }), 'k5'));
        expect(invalid.code).toBe('ValidationError');
        expect(invalid.message).toBe('The requested DurationSeconds exceeds the MaxSessionDuration set for this role (AWS request id req-sts).');

        answer = [403, 'RegionDisabledException', 'STS is not activated in this region for account:123456789012.'];
        expect((await domainError(gw.assumeRole(request(), 'k6'))).code).toBe('UpstreamError');

        // Failures are not remembered: the same request calls AWS again.
        fake.requests.length = 0;
        answer = [403, 'AccessDenied', 'denied'];
        await domainError(gw.assumeRole(request(), 'k1'));
        expect(fake.requests).toHaveLength(1);
      } finally {
        await fake.close();
      }
    });

    it('answers UpstreamError for an incomplete AssumeRole response', async () => {
      const fake = await fakeSts((_p, res) => {
        res.writeHead(200, { 'content-type': 'text/xml', 'x-amzn-requestid': 'req-partial' });
        res.end(
          '<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials><AccessKeyId>ASIAXXXXXXXXXXXXXXXX</AccessKeyId>' +
            '</Credentials></AssumeRoleResult><ResponseMetadata><RequestId>req-partial</RequestId></ResponseMetadata></AssumeRoleResponse>',
        );
      });
      const gw = sts({}, fake.endpoint);
      try {
        const e = await domainError(gw.assumeRole(request(), 'k'));
        expect(e.code).toBe('UpstreamError');
        expect(e.message).toBe('AWS STS returned an incomplete AssumeRole response (AWS request id req-partial).');
      } finally {
        await fake.close();
      }
    });
  });
});
