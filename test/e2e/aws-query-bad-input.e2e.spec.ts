import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BODY_LIMIT_BYTES } from '../../src/app.factory.js';
import { accountWithRoot, type TestAccount } from '../support/factories.js';
import type { Keys } from '../support/sigv4-client.js';
import { userWithKey } from '../support/sts.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const STS_NS = 'https://sts.amazonaws.com/doc/2011-06-15/';
const IAM_NS = 'https://iam.amazonaws.com/doc/2010-05-08/';
const FORM = 'application/x-www-form-urlencoded; charset=utf-8';

/** Bad input over the AWS Query transport: AWS's XML error and status, never a 500. */
describe('AWS Query: bad input', () => {
  let t: TestApp;
  let a: TestAccount;
  let keys: Keys;

  beforeAll(async () => {
    t = await startTestApp();
    a = await accountWithRoot(t);
    keys = (await userWithKey(t, a)).keys;
  });
  afterAll(async () => {
    await t?.close();
  });

  /** POSTs `body` as is (a string or bytes), signed by @smithy/signature-v4 for `service` unless `sign` is false. */
  async function post(body: string | Buffer, opts: { service?: string; sign?: boolean; contentType?: string; query?: string } = {}) {
    const headers: Record<string, string> = { host: '127.0.0.1', 'content-type': opts.contentType ?? FORM };
    let h = headers;
    if (opts.sign !== false) {
      const signer = new SignatureV4({ credentials: keys, region: 'us-east-1', service: opts.service ?? 'sts', sha256: Sha256 });
      const query = Object.fromEntries(new URLSearchParams(opts.query ?? ''));
      const signed = await signer.sign({ method: 'POST', protocol: 'http:', hostname: '127.0.0.1', path: '/', query, headers, body });
      h = signed.headers as Record<string, string>;
    }
    let r = t.http.post(opts.query ? `/?${opts.query}` : '/');
    for (const [k, v] of Object.entries(h)) r = r.set(k, v);
    // superagent would re-encode a Buffer as a form of its byte indexes: send the bytes as they are.
    return r.serialize((b: unknown) => b as string).send(body);
  }

  /** Asserts AWS's error document: status, Type, Code, namespace, request id; no stack. */
  function expectXmlError(res: { status: number; text: string; headers: Record<string, string> }, status: number, code: string, ns = STS_NS) {
    expect(res.status, res.text).toBe(status);
    expect(res.headers['content-type']).toMatch(/^text\/xml/);
    expect(res.text).toContain(`<ErrorResponse xmlns="${ns}"><Error><Type>${status >= 500 ? 'Receiver' : 'Sender'}</Type><Code>${code}</Code><Message>`);
    const id = /<RequestId>([^<]+)<\/RequestId><\/ErrorResponse>/.exec(res.text)?.[1];
    expect(id).toBeTruthy();
    expect(res.headers['x-amzn-requestid']).toBe(id);
    expect(res.text).not.toMatch(/at .*\.(ts|js):\d+/);
    return /<Message>([^<]*)<\/Message>/.exec(res.text)?.[1] ?? '';
  }

  it('a good request for contrast', async () => {
    const r = await post('Action=GetCallerIdentity&Version=2011-06-15');
    expect(r.status, r.text).toBe(200);
    expect(r.text).toContain(`<GetCallerIdentityResponse xmlns="${STS_NS}">`);
  });

  it('missing Action → 400 MissingAction', async () => {
    expectXmlError(await post('Version=2011-06-15'), 400, 'MissingAction');
    expectXmlError(await post(''), 400, 'MissingAction');
    expectXmlError(await post('Action=&Version=2011-06-15'), 400, 'MissingAction');
  });

  it('unknown action → 400 InvalidAction "Could not find operation … for version …"', async () => {
    expect(expectXmlError(await post('Action=MakeMeAdmin&Version=2011-06-15'), 400, 'InvalidAction')).toBe('Could not find operation MakeMeAdmin for version 2011-06-15');
    // an IAM action sent to STS's version
    expectXmlError(await post('Action=ListUsers&Version=2011-06-15'), 400, 'InvalidAction');
  });

  it('wrong or missing Version → 400 InvalidAction (AWS: NO_VERSION_SPECIFIED)', async () => {
    expect(expectXmlError(await post('Action=GetCallerIdentity'), 400, 'InvalidAction')).toBe('Could not find operation GetCallerIdentity for version NO_VERSION_SPECIFIED');
    expect(expectXmlError(await post('Action=GetCallerIdentity&Version=2099-01-01'), 400, 'InvalidAction')).toBe('Could not find operation GetCallerIdentity for version 2099-01-01');
  });

  it('a signature scoped to another service than the Version names → 403 SignatureDoesNotMatch', async () => {
    const r = await post('Action=GetCallerIdentity&Version=2011-06-15', { service: 'iam' });
    expect(expectXmlError(r, 403, 'SignatureDoesNotMatch')).toMatch(/scoped to correct service: &apos;sts&apos;/);
    expectXmlError(await post('Action=GetCallerIdentity&Version=2011-06-15', { service: 's3' }), 403, 'SignatureDoesNotMatch');
  });

  it('malformed form bodies → 400 MalformedQueryString', async () => {
    for (const body of ['Action=GetCallerIdentity&Version=2011-06-15&X=%ZZ', 'Action=GetCallerIdentity&Action=GetCallerIdentity&Version=2011-06-15', 'Action=GetCallerIdentity&Version=2011-06-15&X=%C3%28', '=1&Action=GetCallerIdentity&Version=2011-06-15']) {
      expectXmlError(await post(body), 400, 'MalformedQueryString');
    }
    expectXmlError(await post(Buffer.from([...Buffer.from('Action=GetCallerIdentity&Version=2011-06-15&X='), 0xff, 0xfe])), 400, 'MalformedQueryString');
    // the same parameter in the query string and the body
    expectXmlError(await post('Action=GetCallerIdentity&Version=2011-06-15', { query: 'Action=GetCallerIdentity' }), 400, 'MalformedQueryString');
  });

  it('a body that is not a form → 400 MalformedQueryString, in XML (also when the JSON parser refuses it)', async () => {
    expectXmlError(await post('{"Action":"GetCallerIdentity"}', { contentType: 'application/json' }), 400, 'MalformedQueryString');
    expectXmlError(await post('{"Action":', { contentType: 'application/json', sign: false }), 400, 'ValidationError');
    expectXmlError(await post('<x/>', { contentType: 'application/xml', sign: false }), 400, 'MalformedQueryString');
  });

  it('an oversized body → 413 RequestEntityTooLarge, in XML, before authentication', async () => {
    const big = 'Action=GetCallerIdentity&Version=2011-06-15&Pad=' + 'a'.repeat(BODY_LIMIT_BYTES);
    expectXmlError(await post(big, { sign: false }), 413, 'RequestEntityTooLarge');
  });

  it('characters XML cannot carry → 400 ValidationError, never echoed raw', async () => {
    for (const bad of ['%00', '%01', '%1B', '%EF%BF%BF']) {
      const msg = expectXmlError(await post(`Action=AssumeRole&Version=2011-06-15&RoleArn=arn:aws:iam::123456789012:role/r&RoleSessionName=a${bad}b`), 400, 'ValidationError');
      expect(msg).toMatch(/roleSessionName/);
    }
    // in a parameter name too
    expectXmlError(await post('Action=GetCallerIdentity&Version=2011-06-15&A%07=1'), 400, 'ValidationError');
    // markup is escaped, not refused by the transport (the service's own rules decide)
    const r = await post('Action=AssumeRole&Version=2011-06-15&RoleArn=arn:aws:iam::123456789012:role/r&RoleSessionName=%3Cx%3E%26');
    expect(expectXmlError(r, 400, 'ValidationError')).toContain('&lt;x&gt;&amp;');
  });

  it('list parameters with gaps or bad indexes → 400 ValidationError', async () => {
    const base = 'Action=AssumeRole&Version=2011-06-15&RoleArn=arn:aws:iam::123456789012:role/r&RoleSessionName=ok-name';
    expectXmlError(await post(`${base}&Tags.member.2.Key=a&Tags.member.2.Value=b`), 400, 'ValidationError');
    expectXmlError(await post(`${base}&PolicyArns.member.x.arn=a`), 400, 'ValidationError');
  });

  it('no signature on an action that needs one → 403 MissingAuthenticationToken; a bad one → its code', async () => {
    expectXmlError(await post('Action=GetCallerIdentity&Version=2011-06-15', { sign: false }), 403, 'MissingAuthenticationToken');
    const forged = await t.http
      .post('/')
      .set('content-type', FORM)
      .set('x-amz-date', '20260101T000000Z')
      .set('authorization', 'AWS4-HMAC-SHA256 Credential=AKIAAAAAAAAAAAAAAAAA/20260101/us-east-1/sts/aws4_request, SignedHeaders=host;x-amz-date, Signature=' + '0'.repeat(64))
      .send('Action=GetCallerIdentity&Version=2011-06-15');
    expectXmlError(forged, 403, 'InvalidClientTokenId');
    const garbled = await t.http.post('/').set('content-type', FORM).set('authorization', 'AWS4-HMAC-SHA256 nonsense').send('Action=GetCallerIdentity&Version=2011-06-15');
    expect(garbled.status).toBeGreaterThanOrEqual(400);
    expect(garbled.status).toBeLessThan(500);
    expect(garbled.text).toContain('<ErrorResponse');
  });

  it('IAM requests answer in the IAM namespace; service errors keep their codes', async () => {
    expectXmlError(await post('Action=NoSuchIamAction&Version=2010-05-08', { service: 'iam' }), 400, 'InvalidAction', IAM_NS);
    expectXmlError(await post('Action=GetCallerIdentity&Version=2010-05-08', { service: 'iam' }), 400, 'InvalidAction', IAM_NS);
  });

  it('GET with a query string works like POST (AWS accepts both); other methods are not routes', async () => {
    const signer = new SignatureV4({ credentials: keys, region: 'us-east-1', service: 'sts', sha256: Sha256 });
    const query = { Action: 'GetCallerIdentity', Version: '2011-06-15' };
    const signed = await signer.sign({ method: 'GET', protocol: 'http:', hostname: '127.0.0.1', path: '/', query, headers: { host: '127.0.0.1' } });
    let r = t.http.get(`/?${new URLSearchParams(query).toString()}`);
    for (const [k, v] of Object.entries(signed.headers as Record<string, string>)) r = r.set(k, v);
    const res = await r;
    expect(res.status, res.text).toBe(200);
    expect(res.text).toContain('<GetCallerIdentityResult>');
    // presigned: the X-Amz-* parameters are the signature's, not the action's
    const pre = await signer.presign({ method: 'GET', protocol: 'http:', hostname: '127.0.0.1', path: '/', query, headers: { host: '127.0.0.1' } }, { expiresIn: 300 });
    const url = `/?${new URLSearchParams(pre.query as Record<string, string>).toString().replace(/\+/g, '%20')}`;
    const p = await t.http.get(url).set('host', '127.0.0.1');
    expect(p.status, p.text).toBe(200);
    expect((await t.http.get('/?Action=GetCallerIdentity&Version=2011-06-15')).status).toBe(403);
  });
});
