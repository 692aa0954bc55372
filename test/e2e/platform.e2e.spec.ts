import { randomInt } from 'node:crypto';
import { Writable } from 'node:stream';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.factory.js';
import { createLogger } from '../../src/common/logging/logger.js';
import { openSqlDriver, type SqlDriver } from '../../src/db/sql-driver.js';
import { OperatorsService } from '../../src/modules/operators/operators.service.js';
import { PrismaService } from '../../src/db/prisma.service.js';
import { accountWithRoot, bearer, codeAt, ROOT_PASSWORD, USER_PASSWORD } from '../support/factories.js';
import { DB_KIND, startTestApp, testConfig, uniq, type TestApp } from '../support/test-app.js';

describe(`platform endpoints (${DB_KIND})`, () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('GET /health/live answers 200', async () => {
    const res = await t.http.get('/health/live');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  it('GET /health/ready answers 200 with its checks', async () => {
    const res = await t.http.get('/health/ready');
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toEqual({ status: 'ok', checks: { database: 'ok', migrations: 'ok' } });
  });

  it('GET /metrics is Prometheus text with request latencies by route and sign-in counts', async () => {
    const a = await accountWithRoot(t);
    expect((await t.http.post('/v1/signin').send({ account: a.accountId, email: a.rootEmail, password: 'Wrong-Passw0rd!m' })).status).toBe(401);
    const res = await t.http.get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    const text = res.text;
    expect(text).toContain('# TYPE credbroker_http_request_duration_seconds histogram');
    const buckets = text.split('\n').filter((l) => l.startsWith('credbroker_http_request_duration_seconds_bucket{'));
    const bucketOf = (route: string, method: string, status: string) =>
      buckets.filter((l) => l.includes(`route="${route}"`) && l.includes(`method="${method}"`) && l.includes(`status="${status}"`) && /le="[^"]+"/.test(l));
    expect(bucketOf('/v1/signin', 'POST', '200').length).toBeGreaterThan(1);
    expect(bucketOf('/v1/signin', 'POST', '401').length).toBeGreaterThan(1);
    expect(bucketOf('/v1/accounts', 'POST', '201').length).toBeGreaterThan(1);
    expect(text).toContain('# TYPE credbroker_signins_total counter');
    const count = (outcome: string) => Number(new RegExp(`^credbroker_signins_total\\{outcome="${outcome}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
    expect(count('success')).toBeGreaterThanOrEqual(1);
    expect(count('failure')).toBeGreaterThanOrEqual(1);
    // Route templates, not raw URLs: no account IDs or tokens in label values.
    expect(text).not.toContain(a.accountId);
    expect(text).not.toContain(a.rootToken);
    // Every sample line is name{labels} value or name value.
    for (const line of text.split('\n').filter((l) => l && !l.startsWith('#'))) expect(line).toMatch(/^[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})? (-?[0-9.e+-]+|NaN|[+-]Inf)$/);
  });

  it('GET /docs/openapi.json is an OpenAPI 3 document of the API', async () => {
    const res = await t.http.get('/docs/openapi.json');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/json/);
    expect(res.body.openapi).toMatch(/^3\./);
    expect(res.body.info).toMatchObject({ title: 'credbroker' });
    expect(Object.keys(res.body.paths)).toEqual(expect.arrayContaining(['/v1/signin', '/v1/signin/mfa', '/v1/accounts/{accountId}/users', '/health/live']));
    expect(res.body.paths['/v1/signin'].post).toBeDefined();
    expect(res.body.paths['/v1/accounts/{accountId}/users'].get).toBeDefined();
    expect(res.body.paths['/v1/accounts/{accountId}/users'].post).toBeDefined();
    expect(res.body.components?.securitySchemes).toBeDefined();
  });

  it('every response carries x-request-id; a well-formed one from the client is kept', async () => {
    const responses = [
      await t.http.get('/health/live'),
      await t.http.get('/health/ready'),
      await t.http.get('/metrics'),
      await t.http.get('/docs/openapi.json'),
      await t.http.get('/no/such/route'),
      await t.http.get('/v1/caller-identity'),
      await t.http.post('/v1/signin').send({ account: 'x' }),
      await t.http.post('/v1/signin').set('content-type', 'application/json').send('{"account": "x", "password": '),
      await t.http.post('/v1/signin').send({ account: uniq('nope-'), userName: 'x', password: 'Wrong-Passw0rd!n' }),
      await t.http.delete('/health/live'),
    ];
    const ids = new Set<string>();
    for (const [i, r] of responses.entries()) {
      const id = r.headers['x-request-id'];
      expect(id, `response ${i} (${r.status})`).toMatch(/^[A-Za-z0-9._-]{8,64}$/);
      if (r.status >= 400) expect(r.body.error?.requestId, `response ${i} (${r.status})`).toBe(id);
      ids.add(id);
    }
    expect(ids.size).toBe(responses.length);

    const given = `req-${uniq()}`;
    const echoed = await t.http.get('/v1/caller-identity').set('x-request-id', given);
    expect(echoed.headers['x-request-id']).toBe(given);
    expect(echoed.body.error.requestId).toBe(given);
    for (const bad of ['short', 'has spaces in it', 'x'.repeat(65), 'evil"\\injection']) {
      const r = await t.http.get('/health/live').set('x-request-id', bad);
      expect(r.headers['x-request-id']).not.toBe(bad);
      expect(r.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    }
  });
});

/**
 * The log, captured from an app built with a logger over an in-memory stream: JSON lines, the request
 * id on every line written while serving a request, and none of the secrets that went through.
 */
describe(`logging (${DB_KIND})`, () => {
  let app: NestFastifyApplication;
  let driver: SqlDriver;
  let http: ReturnType<typeof request>;
  let prisma: PrismaService;
  let operatorToken: string;
  let logText = '';
  const secrets: Record<string, string> = {};

  beforeAll(async () => {
    const sink = new Writable({
      write(chunk, _enc, cb) {
        logText += chunk.toString();
        cb();
      },
    });
    const config = testConfig({ LOG_LEVEL: 'info', TRUST_PROXY: 'true' });
    driver = await openSqlDriver(config.database);
    app = await createApp(config, { driver, logger: createLogger('info', sink) });
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    http = request(app.getHttpServer());
    prisma = app.get(PrismaService);
    operatorToken = (await app.get(OperatorsService).create(uniq('op-'), { requestId: 'test', sourceIp: '127.0.0.1' }, { requireEmpty: false })).token;
    secrets.operatorToken = operatorToken;
    for (const [i, k] of config.masterKeys.entries()) secrets[`masterKey${i}`] = k.key.toString('base64url');
  });
  afterAll(async () => {
    await app?.close();
    await driver?.close();
  });

  it('logs JSON lines with request ids and no secrets while serving sign-ins, password resets and MFA', async () => {
    const ip = `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;
    const h = { 'X-Forwarded-For': ip };
    const op = bearer(operatorToken);
    const rootEmail = `${uniq('logroot-')}@example.test`;
    const created = await http.post('/v1/accounts').set(op).set(h).send({ name: 'Log Co', alias: uniq('log-'), rootEmail, rootPassword: ROOT_PASSWORD });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const accountId = created.body.accountId as string;
    secrets.rootPassword = ROOT_PASSWORD;
    secrets.userPassword = USER_PASSWORD;

    // Sign-ins: success, wrong password, unknown user, malformed JSON carrying a password.
    const root = await http.post('/v1/signin').set(h).send({ account: accountId, email: rootEmail, password: ROOT_PASSWORD });
    expect(root.status).toBe(200);
    const rootToken = root.body.sessionToken as string;
    secrets.rootSession = rootToken;
    secrets.wrong1 = 'Wrong-Log-Passw0rd!1';
    secrets.wrong2 = 'Wrong-Log-Passw0rd!2';
    secrets.wrong3 = 'Wrong-Log-Passw0rd!3';
    expect((await http.post('/v1/signin').set(h).send({ account: accountId, email: rootEmail, password: secrets.wrong1 })).status).toBe(401);
    expect((await http.post('/v1/signin').set(h).send({ account: accountId, userName: 'ghost', password: secrets.wrong2 })).status).toBe(401);
    expect((await http.post('/v1/signin').set(h).set('content-type', 'application/json').send(`{"account":"${accountId}","password":"${secrets.wrong3}"`)).status).toBe(400);
    // A token in a query string is redacted from the logged URL.
    expect((await http.get(`/health/live?token=${rootToken}`).set(h)).status).toBe(200);
    // A bad bearer token.
    secrets.badBearer = `cbs_${uniq()}${uniq()}${uniq()}`;
    expect((await http.get('/v1/caller-identity').set(bearer(secrets.badBearer))).status).toBe(401);

    // An IAM user with MFA: device creation (seed), enabling, sign-in with a code, password change.
    const r = bearer(rootToken);
    const userName = uniq('loguser-');
    expect((await http.post(`/v1/accounts/${accountId}/users`).set(r).send({ userName })).status).toBe(201);
    expect((await http.post(`/v1/accounts/${accountId}/users/${userName}/login-profile`).set(r).send({ password: USER_PASSWORD })).status).toBe(201);
    const dev = await http.post(`/v1/accounts/${accountId}/users/${userName}/mfa-devices`).set(r).send({ deviceName: uniq('logdev-') });
    expect(dev.status).toBe(201);
    const seed = dev.body.base32StringSeed as string;
    secrets.seed = seed;
    secrets.otpauthUri = dev.body.otpauthUri;
    const enabled = await http
      .post(`/v1/accounts/${accountId}/users/${userName}/mfa-devices/enable`)
      .set(r)
      .send({ serialNumber: dev.body.serialNumber, authenticationCode1: codeAt(seed, -2), authenticationCode2: codeAt(seed, -1) });
    expect(enabled.status, JSON.stringify(enabled.body)).toBe(201);
    const step1 = await http.post('/v1/signin').set(h).send({ account: accountId, userName, password: USER_PASSWORD });
    expect(step1.body.status).toBe('MFA_REQUIRED');
    secrets.challenge = step1.body.challengeToken;
    const step2 = await http.post('/v1/signin/mfa').set(h).send({ challengeToken: step1.body.challengeToken, mfaCode: codeAt(seed, 0) });
    expect(step2.status, JSON.stringify(step2.body)).toBe(200);
    secrets.userSession = step2.body.sessionToken;

    // Root "Forgot password?", then the reset.
    expect((await http.post('/v1/root/password-reset').set(h).send({ email: rootEmail })).status).toBe(202);
    expect((await http.post('/v1/root/password-reset').set(h).send({ email: `${uniq('nobody-')}@example.test` })).status).toBe(202);
    const mail = await prisma.outboxMail.findFirst({ where: { toAddress: rootEmail }, orderBy: { createdAt: 'desc' } });
    const resetToken = /cbrst_[A-Za-z0-9_-]+/.exec(mail!.body)![0];
    secrets.resetToken = resetToken;
    secrets.resetPassword = 'Log-Reset-Passw0rd!';
    expect((await http.post('/v1/root/password-reset/confirm').set(h).send({ token: resetToken, newPassword: secrets.resetPassword })).status).toBe(204);
    expect((await http.post('/v1/root/password-reset/confirm').set(h).send({ token: resetToken, newPassword: secrets.resetPassword })).status).toBe(400);
    const again = await http.post('/v1/signin').set(h).send({ account: accountId, email: rootEmail, password: secrets.resetPassword });
    expect(again.status).toBe(200);
    secrets.rootSession2 = again.body.sessionToken;
    secrets.changedPassword = 'Log-Changed-Passw0rd!';
    expect((await http.post(`/v1/accounts/${accountId}/change-password`).set(bearer(again.body.sessionToken)).send({ oldPassword: secrets.resetPassword, newPassword: secrets.changedPassword })).status).toBe(204);

    // What was written.
    const lines = logText.split('\n').filter((l) => l.trim() !== '');
    expect(lines.length).toBeGreaterThan(20);
    const entries = lines.map((l, i) => {
      try {
        return JSON.parse(l) as Record<string, unknown>;
      } catch {
        throw new Error(`log line ${i} is not JSON: ${l.slice(0, 200)}`);
      }
    });
    for (const e of entries) {
      expect(e).toMatchObject({ level: expect.any(Number), time: expect.any(String), service: 'credbroker' });
      expect(e.msg ?? e.message).toBeDefined();
    }
    // Lines written while serving a request: Fastify's request/response lines and anything with a request context.
    const served = entries.filter((e) => 'reqId' in e || 'req' in e || 'res' in e || 'requestId' in e);
    expect(served.length).toBeGreaterThan(30);
    for (const e of served) {
      expect(e.requestId, JSON.stringify(e)).toEqual(expect.stringMatching(/^[A-Za-z0-9._-]{8,64}$/));
      if ('reqId' in e) expect(e.reqId).toBe(e.requestId);
    }
    // Each of the 19 requests above: one line in, one line out, with the same id.
    const incoming = served.filter((e) => e.msg === 'incoming request').map((e) => e.requestId);
    const completed = served.filter((e) => e.msg === 'request completed').map((e) => e.requestId);
    expect(incoming.length).toBeGreaterThanOrEqual(19);
    expect(new Set(incoming).size).toBe(incoming.length);
    expect([...completed].sort()).toEqual([...incoming].sort());
    // The outbox mail line was written while serving the reset request.
    const mailLines = entries.filter((e) => typeof e.msg === 'string' && e.msg.includes('outbox'));
    expect(mailLines.length).toBeGreaterThanOrEqual(1);
    for (const e of mailLines) expect(e.requestId).toEqual(expect.any(String));
    // The query-string token was redacted.
    expect(logText).toContain('token=[REDACTED]');

    for (const [what, value] of Object.entries(secrets)) {
      expect(value.length, what).toBeGreaterThan(8);
      expect(logText.includes(value), `${what} appears in the log`).toBe(false);
    }
    // Nor the distinctive part of any token (without its prefix).
    for (const v of [rootToken, resetToken, secrets.userSession, secrets.challenge, operatorToken]) expect(logText).not.toContain(v.slice(v.indexOf('_') + 1));
  });
});
