import { createServer as createHttpServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DomainError } from '../../src/common/errors/domain-error.js';
import { loadConfig } from '../../src/config/app-config.js';
import { AwsIamGateway } from '../../src/modules/aws/aws-iam.gateway.js';
import { freeLoopbackPort, mirroredAwsUser, MOTO_ACCESS_KEY_ID, MOTO_SECRET_ACCESS_KEY, startMoto, type Moto } from '../support/moto.js';

/** A gateway as Nest would build it, from the real config loader. */
function gateway(endpoint: string, opts: { maxAttempts?: number; timeoutMs?: number } = {}): AwsIamGateway {
  const config = loadConfig({
    NODE_ENV: 'test',
    DATA_DIR: 'memory://',
    AWS_UPSTREAM_ENDPOINT: endpoint,
    AWS_UPSTREAM_REGION: 'us-east-1',
    AWS_UPSTREAM_MAX_ATTEMPTS: String(opts.maxAttempts ?? 3),
    AWS_UPSTREAM_TIMEOUT_MS: String(opts.timeoutMs ?? 5_000),
  });
  return new AwsIamGateway(config);
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

const listen = (srv: Server | TcpServer) =>
  new Promise<number>((resolve) => srv.listen(0, '127.0.0.1', () => resolve((srv.address() as { port: number }).port)));
const close = (srv: Server | TcpServer) => new Promise<void>((resolve) => srv.close(() => resolve()));

const readBody = (req: IncomingMessage) =>
  new Promise<string>((resolve) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => (body += d));
    req.on('end', () => resolve(body));
  });

/** A loopback proxy to moto that counts the IAM actions passing through. */
async function countingProxy(target: string): Promise<{ endpoint: string; actions: string[]; close(): Promise<void> }> {
  const actions: string[] = [];
  const t = new URL(target);
  const srv = createHttpServer(async (req, res) => {
    const body = await readBody(req);
    actions.push(new URLSearchParams(body).get('Action') ?? '?');
    const up = httpRequest(
      { host: t.hostname, port: t.port, method: req.method, path: req.url, headers: req.headers },
      (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
      },
    );
    up.on('error', () => res.destroy());
    up.end(body);
  });
  const port = await listen(srv);
  return { endpoint: `http://127.0.0.1:${port}`, actions, close: () => close(srv) };
}

/** A scripted fake IAM endpoint for answers moto cannot produce (pagination, throttling, 5xx, refused credentials). */
async function fakeIam(handler: (params: URLSearchParams, res: ServerResponse) => void) {
  const requests: URLSearchParams[] = [];
  const srv = createHttpServer(async (req, res) => {
    const params = new URLSearchParams(await readBody(req));
    requests.push(params);
    handler(params, res);
  });
  const port = await listen(srv);
  return { endpoint: `http://127.0.0.1:${port}`, requests, close: () => close(srv) };
}

const awsError = (res: ServerResponse, status: number, code: string, message: string, requestId: string) => {
  res.writeHead(status, { 'content-type': 'text/xml', 'x-amzn-requestid': requestId });
  res.end(
    `<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>${status >= 500 ? 'Receiver' : 'Sender'}</Type>` +
      `<Code>${code}</Code><Message>${message}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
  );
};

const SAVED_ENV = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_EC2_METADATA_DISABLED'] as const;

describe('AwsIamGateway against moto', () => {
  let moto: Moto;
  const saved: Record<string, string | undefined> = {};
  const gateways: AwsIamGateway[] = [];
  const track = (g: AwsIamGateway) => (gateways.push(g), g);

  beforeAll(async () => {
    // The gateway's credentials come from the SDK default chain: the env provider, with dummy keys.
    for (const k of SAVED_ENV) saved[k] = process.env[k];
    process.env.AWS_ACCESS_KEY_ID = MOTO_ACCESS_KEY_ID;
    process.env.AWS_SECRET_ACCESS_KEY = MOTO_SECRET_ACCESS_KEY;
    delete process.env.AWS_SESSION_TOKEN;
    process.env.AWS_EC2_METADATA_DISABLED = 'true';
    moto = await startMoto();
    console.info(`moto_server answered after ${moto.startedInMs} ms at ${moto.endpoint}`);
  });

  afterAll(async () => {
    for (const g of gateways) g.onModuleDestroy();
    await moto?.stop();
    for (const k of SAVED_ENV) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  });

  it('runs the access-key lifecycle: create, list, deactivate, last used, delete', async () => {
    const gw = track(gateway(moto.endpoint));
    const { userName } = await mirroredAwsUser(moto.endpoint, 'alice');

    const k = await gw.createAccessKey(userName);
    expect(k.accessKeyId).toMatch(/^AKIA[A-Z0-9]{16}$/);
    expect(k.secretAccessKey).toHaveLength(40);
    expect(k.status).toBe('Active');
    expect(k.createDate).toBeInstanceOf(Date);

    expect(await gw.listAccessKeys(userName)).toEqual([{ accessKeyId: k.accessKeyId, status: 'Active', createDate: k.createDate }]);

    await gw.updateAccessKey(userName, k.accessKeyId, 'Inactive');
    expect((await gw.listAccessKeys(userName))[0].status).toBe('Inactive');
    await gw.updateAccessKey(userName, k.accessKeyId, 'Active');
    expect((await gw.listAccessKeys(userName))[0].status).toBe('Active');

    // moto answers ServiceName/Region "N/A" and no date for a key never used: all fields absent.
    const used = await gw.getAccessKeyLastUsed(k.accessKeyId);
    for (const [key, v] of Object.entries(used)) {
      expect(['lastUsedDate', 'serviceName', 'region']).toContain(key);
      expect(key === 'lastUsedDate' ? v instanceof Date : typeof v === 'string').toBe(true);
    }
    expect(used).toEqual({});

    // moto records last use when the key signs a request it checks (STS GetCallerIdentity does).
    const sts = new STSClient({ endpoint: moto.endpoint, region: 'us-east-1', credentials: k, maxAttempts: 1 });
    try {
      expect((await sts.send(new GetCallerIdentityCommand({}))).Arn).toMatch(/:user\/alice$/);
    } finally {
      sts.destroy();
    }
    const usedNow = await gw.getAccessKeyLastUsed(k.accessKeyId);
    expect(usedNow).toEqual({ lastUsedDate: expect.any(Date), serviceName: 'sts', region: 'us-east-1' });
    expect(Math.abs(usedNow.lastUsedDate!.getTime() - Date.now())).toBeLessThan(60_000);

    await gw.deleteAccessKey(userName, k.accessKeyId);
    expect(await gw.listAccessKeys(userName)).toEqual([]);
    expect((await domainError(gw.getAccessKeyLastUsed(k.accessKeyId))).code).toBe('NoSuchEntity');
  });

  it('maps the 2-keys-per-user quota to LimitExceeded, without retrying it', async () => {
    const proxy = await countingProxy(moto.endpoint);
    try {
      const gw = track(gateway(proxy.endpoint, { maxAttempts: 3 }));
      const { userName } = await mirroredAwsUser(moto.endpoint, 'bob');
      await gw.createAccessKey(userName);
      await gw.createAccessKey(userName);
      proxy.actions.length = 0;
      const e = await domainError(gw.createAccessKey(userName));
      expect(e.code).toBe('LimitExceeded');
      expect(e.message).toMatch(/AccessKeysPerUser: 2 \(AWS request id \S+\)\.$/);
      // The SDK classifies "LimitExceededException" as throttling; the gateway makes it final.
      expect(proxy.actions).toEqual(['CreateAccessKey']);
      expect(await gw.listAccessKeys(userName)).toHaveLength(2);
    } finally {
      await proxy.close();
    }
  });

  it('maps unknown users and keys to NoSuchEntity', async () => {
    const gw = track(gateway(moto.endpoint));
    const { userName } = await mirroredAwsUser(moto.endpoint, 'carol');

    const noUser = await domainError(gw.createAccessKey('nobody-here'));
    expect(noUser.code).toBe('NoSuchEntity');
    expect(noUser.message).toMatch(/nobody-here cannot be found \(AWS request id \S+\)\.$/);
    expect((await domainError(gw.listAccessKeys('nobody-here'))).code).toBe('NoSuchEntity');

    expect((await domainError(gw.deleteAccessKey(userName, 'AKIAXXXXXXXXXXXXXXXX'))).code).toBe('NoSuchEntity');
    expect((await domainError(gw.updateAccessKey(userName, 'AKIAXXXXXXXXXXXXXXXX', 'Inactive'))).code).toBe('NoSuchEntity');
    expect((await domainError(gw.getAccessKeyLastUsed('AKIAXXXXXXXXXXXXXXXX'))).code).toBe('NoSuchEntity');
  });

  it('never puts the secret access key in an error message', async () => {
    const gw = track(gateway(moto.endpoint));
    const { userName } = await mirroredAwsUser(moto.endpoint, 'dave');
    const k = await gw.createAccessKey(userName);
    const e = await domainError(gw.deleteAccessKey(userName, k.secretAccessKey));
    expect(e.message).not.toContain(k.secretAccessKey);
    expect(e.message).not.toContain(MOTO_SECRET_ACCESS_KEY);
  });
});

describe('startMoto', () => {
  it('throws (never skips) when moto_server is not on PATH', async () => {
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      await expect(startMoto()).rejects.toThrow("moto_server is required for the upstream integration tests: pip install 'moto[server]'");
    } finally {
      process.env.PATH = path;
    }
  });
});

describe('AwsIamGateway when AWS is unreachable or misbehaves', () => {
  const saved: Record<string, string | undefined> = {};
  beforeAll(() => {
    for (const k of SAVED_ENV) saved[k] = process.env[k];
    process.env.AWS_ACCESS_KEY_ID = MOTO_ACCESS_KEY_ID;
    process.env.AWS_SECRET_ACCESS_KEY = MOTO_SECRET_ACCESS_KEY;
    delete process.env.AWS_SESSION_TOKEN;
    process.env.AWS_EC2_METADATA_DISABLED = 'true';
  });
  afterAll(() => {
    for (const k of SAVED_ENV) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  });

  it('answers UpstreamUnavailable for a closed port, within a bound', async () => {
    const port = await freeLoopbackPort(); // closed again: nothing listens there
    const gw = gateway(`http://127.0.0.1:${port}`, { maxAttempts: 2, timeoutMs: 500 });
    const t0 = Date.now();
    const e = await domainError(gw.listAccessKeys('alice'));
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect(e.code).toBe('UpstreamUnavailable');
    expect(e.message).toMatch(/AWS IAM is unreachable/);
    gw.onModuleDestroy();
  });

  it('answers UpstreamUnavailable when AWS accepts the connection but never answers', async () => {
    const sockets = new Set<Socket>();
    const silent = createTcpServer((s) => {
      sockets.add(s);
      s.on('error', () => undefined);
    });
    const port = await listen(silent);
    const gw = gateway(`http://127.0.0.1:${port}`, { maxAttempts: 2, timeoutMs: 500 });
    try {
      const t0 = Date.now();
      const e = await domainError(gw.createAccessKey('alice'));
      expect(Date.now() - t0).toBeLessThan(15_000);
      expect(e.code).toBe('UpstreamUnavailable');
      expect(sockets.size).toBe(2); // one connection per attempt
    } finally {
      gw.onModuleDestroy();
      for (const s of sockets) s.destroy();
      await close(silent);
    }
  });

  it('follows Marker pagination', async () => {
    const member = (id: string) =>
      `<member><UserName>alice</UserName><AccessKeyId>${id}</AccessKeyId><Status>Active</Status><CreateDate>2024-01-02T03:04:05Z</CreateDate></member>`;
    const fake = await fakeIam((params, res) => {
      const second = params.get('Marker') === 'page-2';
      res.writeHead(200, { 'content-type': 'text/xml' });
      res.end(
        `<ListAccessKeysResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><ListAccessKeysResult>` +
          `<AccessKeyMetadata>${second ? member('AKIAPAGE200000000002') : member('AKIAPAGE100000000001')}</AccessKeyMetadata>` +
          `<IsTruncated>${second ? 'false' : 'true'}</IsTruncated>${second ? '' : '<Marker>page-2</Marker>'}` +
          `</ListAccessKeysResult><ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></ListAccessKeysResponse>`,
      );
    });
    const gw = gateway(fake.endpoint);
    try {
      const keys = await gw.listAccessKeys('alice');
      expect(keys.map((k) => k.accessKeyId)).toEqual(['AKIAPAGE100000000001', 'AKIAPAGE200000000002']);
      expect(keys[0].createDate.toISOString()).toBe('2024-01-02T03:04:05.000Z');
      expect(fake.requests.map((r) => [r.get('Action'), r.get('Marker')])).toEqual([
        ['ListAccessKeys', null],
        ['ListAccessKeys', 'page-2'],
      ]);
    } finally {
      gw.onModuleDestroy();
      await fake.close();
    }
  });

  it('retries throttling, then answers Throttling with Retry-After', async () => {
    const fake = await fakeIam((_p, res) => awsError(res, 400, 'Throttling', 'Rate exceeded', 'req-throttle'));
    const gw = gateway(fake.endpoint, { maxAttempts: 2 });
    try {
      const e = await domainError(gw.listAccessKeys('alice'));
      expect(e.code).toBe('Throttling');
      expect(e.retryAfterSeconds).toBeGreaterThan(0);
      expect(e.message).toContain('req-throttle');
      expect(fake.requests).toHaveLength(2);
    } finally {
      gw.onModuleDestroy();
      await fake.close();
    }
  });

  it('answers UpstreamError when AWS refuses the broker credentials, and for 5xx', async () => {
    let answer: [number, string] = [403, 'InvalidClientTokenId'];
    const fake = await fakeIam((_p, res) => awsError(res, answer[0], answer[1], 'The security token included in the request is invalid.', 'req-auth'));
    const gw = gateway(fake.endpoint, { maxAttempts: 2 });
    try {
      for (const code of ['InvalidClientTokenId', 'SignatureDoesNotMatch', 'AccessDenied']) {
        answer = [403, code];
        const e = await domainError(gw.createAccessKey('alice'));
        expect(e.code).toBe('UpstreamError');
        expect(e.message).toMatch(/AWS refused the broker's credentials/);
        expect(e.message).toContain('req-auth');
        expect(e.message).not.toContain(MOTO_ACCESS_KEY_ID);
      }
      fake.requests.length = 0;
      answer = [500, 'ServiceFailure'];
      const e = await domainError(gw.createAccessKey('alice'));
      expect(e.code).toBe('UpstreamError');
      expect(e.message).toMatch(/HTTP 500.*req-auth/);
      expect(fake.requests).toHaveLength(2); // 5xx is retried
    } finally {
      gw.onModuleDestroy();
      await fake.close();
    }
  });
});
