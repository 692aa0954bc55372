import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountWithRoot, bearer, type TestAccount } from '../support/factories.js';
import { listen, DB_KIND, startTestApp, uniq, type TestApp } from '../support/test-app.js';

const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL('../support/py/botocore_sign.py', import.meta.url));

/** Requests signed by botocore (the AWS CLI's signer) against the live server. */
describe(`SigV4 from botocore against the live server (${DB_KIND})`, () => {
  let t: TestApp;
  let a: TestAccount;
  let base: string;
  let keys: { accessKeyId: string; secretAccessKey: string };
  let userName: string;

  beforeAll(async () => {
    try {
      await run('python3', ['-c', 'import botocore']);
    } catch {
      throw new Error('python3 with botocore (the AWS CLI v1) is required for this test: pip install awscli');
    }
    t = await startTestApp();
    base = await listen(t);
    a = await accountWithRoot(t);
    userName = uniq('boto-');
    await t.http.post(`/v1/accounts/${a.accountId}/users`).set(bearer(a.rootToken)).send({ userName });
    await t.http
      .post(`/v1/accounts/${a.accountId}/users/${userName}/attached-policies`)
      .set(bearer(a.rootToken))
      .send({ policyArn: 'arn:aws:iam::aws:policy/IAMFullAccess' });
    keys = (await t.http.post(`/v1/accounts/${a.accountId}/users/${userName}/access-keys`).set(bearer(a.rootToken))).body.accessKey;
  });
  afterAll(async () => {
    await t?.close();
  });

  async function boto(method: string, path: string, opts: { body?: unknown; presign?: boolean; secret?: string } = {}) {
    const args = [SCRIPT, method, `${base}${path}`, 'iam', 'us-east-1', ...(opts.body !== undefined ? [JSON.stringify(opts.body)] : [])];
    const { stdout } = await run('python3', args, {
      env: { ...process.env, AWS_ACCESS_KEY_ID: keys.accessKeyId, AWS_SECRET_ACCESS_KEY: opts.secret ?? keys.secretAccessKey, PRESIGN: opts.presign ? '1' : '' },
    });
    const [status, ...rest] = stdout.split('\n');
    const text = rest.join('\n').trim();
    return { status: Number(status), body: text ? JSON.parse(text) : null };
  }

  it('accepts a header-signed GET', async () => {
    const r = await boto('GET', '/v1/caller-identity');
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toEqual({ account: a.accountId, arn: `arn:aws:iam::${a.accountId}:user/${userName}`, userId: expect.stringMatching(/^AIDA/) });
  });

  it('accepts a presigned GET with query parameters', async () => {
    const r = await boto('GET', `/v1/accounts/${a.accountId}/users?maxItems=5`, { presign: true });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.users.map((u: { userName: string }) => u.userName)).toContain(userName);
  });

  it('accepts a signed POST with a JSON body, and refuses a wrong secret', async () => {
    const name = uniq('made-by-boto-');
    const r = await boto('POST', `/v1/accounts/${a.accountId}/users`, { body: { userName: name, path: '/ci/' } });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body.arn).toBe(`arn:aws:iam::${a.accountId}:user/ci/${name}`);
    const bad = await boto('GET', '/v1/caller-identity', { secret: 'A'.repeat(40) });
    expect(bad.status).toBe(403);
    expect(bad.body.error.code).toBe('SignatureDoesNotMatch');
  });
});
