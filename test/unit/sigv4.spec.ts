import { createHash, createHmac } from 'node:crypto';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { describe, expect, it } from 'vitest';
import {
  SIGV4_ERROR_HTTP_STATUS,
  SigV4Error,
  SigV4SignatureMismatchError,
  HmacSha256,
  SigningKeyCache,
  canonicalHeaderValue,
  canonicalQueryString,
  canonicalRequest,
  canonicalUri,
  deriveSigningKey,
  formatAmzDate,
  headersFromRaw,
  parseAmzDate,
  parseSigV4,
  signRequest,
  stringToSign,
  verifySigV4,
  type HeaderMap,
  type ParsedSigV4,
  type SigV4Request,
  type VerifyOptions,
} from '../../src/common/sigv4/index.js';

const AK = 'AKIDEXAMPLE';
const SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
const TOKEN = 'FwoGZXIvYXdzEXAMPLE//token+with/slashes==';
const NOW = new Date('2015-08-30T12:36:00Z');
const HOST = 'iam.example.test';
const OPTS: VerifyOptions = { now: NOW, allowedRegions: ['us-east-1'], allowedServices: ['iam', 'sts'] };

function sign(over: Partial<Parameters<typeof signRequest>[0]> = {}) {
  return signRequest({
    method: 'POST',
    url: `https://${HOST}/`,
    headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
    body: 'Action=ListUsers&Version=2010-05-08',
    credentials: { accessKeyId: AK, secretAccessKey: SECRET },
    region: 'us-east-1',
    service: 'iam',
    date: NOW,
    ...over,
  });
}

function check(r: SigV4Request, opts: Partial<VerifyOptions> = {}, secret = SECRET): ParsedSigV4 {
  const parsed = parseSigV4(r);
  expect(parsed).not.toBeNull();
  verifySigV4(r, parsed!, secret, { ...OPTS, ...opts });
  return parsed!;
}

function expectCode(fn: () => unknown, code: string, message?: string | RegExp): SigV4Error {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(SigV4Error);
    const err = e as SigV4Error;
    expect(err.code).toBe(code);
    if (message !== undefined) expect(err.message).toMatch(message);
    expect(err.message).not.toContain(SECRET);
    return err;
  }
  throw new Error(`expected SigV4Error ${code}, nothing was thrown`);
}

function withHeaders(r: SigV4Request, headers: HeaderMap): SigV4Request {
  const h: HeaderMap = { ...r.headers };
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined) delete h[k];
    else h[k] = v;
  }
  return { ...r, headers: h };
}

const at = (iso: string) => new Date(iso);

// ---------------------------------------------------------------------------------------------------

describe('canonicalisation', () => {
  it('canonicalUri: normalises and encodes the wire path once more', () => {
    expect(canonicalUri('/')).toBe('/');
    expect(canonicalUri('')).toBe('/');
    expect(canonicalUri('/-._~AZaz09')).toBe('/-._~AZaz09');
    expect(canonicalUri('/a/./b/../c//d/')).toBe('/a/c/d/');
    expect(canonicalUri('/a/b/../..')).toBe('/');
    expect(canonicalUri('/..')).toBe('/');
    expect(canonicalUri('/foo/.')).toBe('/foo');
    expect(canonicalUri('//')).toBe('/');
    expect(canonicalUri('/example%20space/')).toBe('/example%2520space/');
    expect(canonicalUri('/%E1%88%B4')).toBe('/%25E1%2588%25B4');
    expect(canonicalUri('/example space/')).toBe('/example%20space/');
    expect(canonicalUri('/\u1234')).toBe('/%E1%88%B4');
    expect(canonicalUri('/\u{1F600}')).toBe('/%F0%9F%98%80');
    expect(canonicalUri('/\ud800x')).toBe('/%EF%BF%BDx'); // lone surrogate → U+FFFD
    expect(canonicalUri("/a+b=c;d:e@f!g*h'(i)")).toBe('/a%2Bb%3Dc%3Bd%3Ae%40f%21g%2Ah%27%28i%29');
    expect(canonicalUri('/%2e%2e/a')).toBe('/%252e%252e/a'); // encoded dots are not dot segments
  });

  it('canonicalQueryString: decode, re-encode (RFC 3986 unreserved), sort by key then value', () => {
    expect(canonicalQueryString('', false)).toBe('');
    expect(canonicalQueryString('b=2&a=1', false)).toBe('a=1&b=2');
    expect(canonicalQueryString('a=2&a=10&a=1', false)).toBe('a=1&a=10&a=2');
    expect(canonicalQueryString('b=1&B=1&a=1&_=1&~=1&-=1', false)).toBe('-=1&B=1&_=1&a=1&b=1&~=1');
    expect(canonicalQueryString('a=%7e%41', false)).toBe('a=~A');
    expect(canonicalQueryString('a=%2b&b=%2F&c=%e1%88%b4', false)).toBe('a=%2B&b=%2F&c=%E1%88%B4');
    expect(canonicalQueryString('a=b+c', false)).toBe('a=b%20c');
    expect(canonicalQueryString('a=b c', false)).toBe('a=b%20c');
    expect(canonicalQueryString('a=\u1234', false)).toBe('a=%E1%88%B4');
    expect(canonicalQueryString('a=b=c', false)).toBe('a=b%3Dc');
    expect(canonicalQueryString('a=%zz&b=%4', false)).toBe('a=%25zz&b=%254');
    expect(canonicalQueryString("a=!*'()", false)).toBe('a=%21%2A%27%28%29');
    expect(canonicalQueryString('flag&x=', false)).toBe('flag=&x=');
    expect(canonicalQueryString('&&a=1&', false)).toBe('a=1');
    expect(canonicalQueryString('a%20b=1', false)).toBe('a%20b=1');
  });

  it('canonicalQueryString: X-Amz-Signature is left out in query form only', () => {
    const q = 'X-Amz-Date=20150830T123600Z&X-Amz-Signature=abc&Action=List';
    expect(canonicalQueryString(q, true)).toBe('Action=List&X-Amz-Date=20150830T123600Z');
    expect(canonicalQueryString(q, false)).toBe('Action=List&X-Amz-Date=20150830T123600Z&X-Amz-Signature=abc');
    expect(canonicalQueryString('X%2DAmz-Signature=abc&a=1', true)).toBe('a=1');
  });

  it('canonicalHeaderValue: trim, collapse SP/HTAB, join repeats and folded lines with ","', () => {
    expect(canonicalHeaderValue('  a   b\t\tc  ')).toBe('a b c');
    expect(canonicalHeaderValue('"a   b"')).toBe('"a b"');
    expect(canonicalHeaderValue(['v2', ' v2 ', 'v1'])).toBe('v2,v2,v1');
    expect(canonicalHeaderValue('v1\r\n  v2\n\tv3')).toBe('v1,v2,v3');
    expect(canonicalHeaderValue('')).toBe('');
    expect(canonicalHeaderValue(undefined)).toBe('');
  });

  it('canonicalRequest and stringToSign have the AWS layout', () => {
    const req: SigV4Request = {
      method: 'GET',
      path: '/',
      query: 'Param2=value2&Param1=value1',
      headers: { host: 'example.amazonaws.com', 'x-amz-date': '20150830T123600Z' },
    };
    const creq = canonicalRequest(req, { form: 'header', signedHeaders: ['host', 'x-amz-date'] }, 'PAYLOAD');
    expect(creq).toBe(
      'GET\n/\nParam1=value1&Param2=value2\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\nPAYLOAD',
    );
    const sts = stringToSign(
      { amzDate: '20150830T123600Z', credential: { accessKeyId: AK, date: '20150830', region: 'us-east-1', service: 'iam' } },
      'HASH',
    );
    expect(sts).toBe('AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/iam/aws4_request\nHASH');
  });

  it('parseAmzDate / formatAmzDate: strict basic ISO 8601', () => {
    expect(parseAmzDate('20150830T123600Z')?.toISOString()).toBe('2015-08-30T12:36:00.000Z');
    expect(parseAmzDate('20160229T000000Z')?.toISOString()).toBe('2016-02-29T00:00:00.000Z');
    for (const bad of ['20150229T000000Z', '20151301T000000Z', '20150830T240000Z', '20150830T123660Z', '20150830T123600', '2015-08-30T12:36:00Z', '00150830T123600Z', '2015083OT123600Z']) {
      expect(parseAmzDate(bad)).toBeNull();
    }
    expect(formatAmzDate(new Date('2015-08-30T12:36:00.999Z'))).toBe('20150830T123600Z');
  });

  it('headersFromRaw keeps every repeat, in order', () => {
    expect(headersFromRaw(['Host', 'h', 'My-Header1', 'v2', 'my-header1', 'v1', 'X', 'a'])).toEqual({
      host: 'h',
      'my-header1': ['v2', 'v1'],
      x: 'a',
    });
  });
});

// ---------------------------------------------------------------------------------------------------

describe('parseSigV4', () => {
  it('returns null when the request carries no SigV4', () => {
    expect(parseSigV4({ method: 'GET', path: '/', query: 'Action=List', headers: { host: HOST } })).toBeNull();
    expect(parseSigV4({ method: 'GET', path: '/', query: '', headers: { host: HOST, authorization: 'Bearer abc' } })).toBeNull();
    expect(parseSigV4({ method: 'GET', path: '/', query: 'X-Amz-Date=20150830T123600Z', headers: { host: HOST } })).toBeNull();
  });

  it('parses the header form', () => {
    const r = sign({ credentials: { accessKeyId: AK, secretAccessKey: SECRET, sessionToken: TOKEN } });
    const p = parseSigV4(r)!;
    expect(p).toMatchObject({
      form: 'header',
      credential: { accessKeyId: AK, date: '20150830', region: 'us-east-1', service: 'iam' },
      signedHeaders: ['content-type', 'host', 'x-amz-date', 'x-amz-security-token'],
      signature: r.signature,
      amzDate: '20150830T123600Z',
      securityToken: TOKEN,
      dateSource: 'x-amz-date',
    });
    expect(p.requestTime.getTime()).toBe(NOW.getTime());
    expect(p.expiresSeconds).toBeUndefined();
  });

  it('tolerates AWS spacing variants of the Authorization header', () => {
    const r = sign();
    const p = parseSigV4(r)!;
    const variants = [
      `AWS4-HMAC-SHA256 Credential=${AK}/20150830/us-east-1/iam/aws4_request,SignedHeaders=${p.signedHeaders.join(';')},Signature=${p.signature}`,
      `  AWS4-HMAC-SHA256   Signature=${p.signature} ,  Credential=${AK}/20150830/us-east-1/iam/aws4_request, SignedHeaders=${p.signedHeaders.join(';')}  `,
    ];
    for (const authorization of variants) check(withHeaders(r, { authorization }));
  });

  it('parses the query (presigned) form', () => {
    const r = sign({ method: 'GET', url: `https://${HOST}/?Action=GetCallerIdentity&Version=2011-06-15`, body: undefined, headers: {}, presignExpiresSeconds: 900, credentials: { accessKeyId: AK, secretAccessKey: SECRET, sessionToken: TOKEN } });
    expect(r.headers['authorization']).toBeUndefined();
    const p = parseSigV4(r)!;
    expect(p).toMatchObject({ form: 'query', signedHeaders: ['host'], expiresSeconds: 900, securityToken: TOKEN, amzDate: '20150830T123600Z' });
    check(r);
  });

  it('takes the date from a Date header (IMF-fixdate) when there is no X-Amz-Date', () => {
    const headers: HeaderMap = { host: HOST, date: 'Sun, 30 Aug 2015 12:36:00 GMT' };
    const req: SigV4Request = { method: 'GET', path: '/', query: 'Action=ListUsers', headers };
    const parsedLike = {
      form: 'header' as const,
      signedHeaders: ['date', 'host'],
      amzDate: '20150830T123600Z',
      credential: { accessKeyId: AK, date: '20150830', region: 'us-east-1', service: 'iam' },
    };
    const sts = stringToSign(parsedLike, createHash('sha256').update(canonicalRequest(req, parsedLike, createHash('sha256').update('').digest('hex'))).digest('hex'));
    const sig = createHmac('sha256', deriveSigningKey(SECRET, '20150830', 'us-east-1', 'iam')).update(sts).digest('hex');
    headers['authorization'] = `AWS4-HMAC-SHA256 Credential=${AK}/20150830/us-east-1/iam/aws4_request, SignedHeaders=date;host, Signature=${sig}`;
    const p = check(req);
    expect(p.amzDate).toBe('20150830T123600Z');
    expect(p.dateSource).toBe('date');

    headers['authorization'] = `AWS4-HMAC-SHA256 Credential=${AK}/20150830/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=${sig}`;
    expectCode(() => check(req), 'IncompleteSignature', /'Date' must be a 'SignedHeader'/);

    headers['date'] = 'Mon, 30 Aug 2015 12:36:00 GMT'; // wrong day name
    expectCode(() => parseSigV4(req), 'IncompleteSignature', /IMF-fixdate/);
  });

  it('rejects a malformed Authorization header with IncompleteSignature', () => {
    const r = sign();
    const good = r.headers['authorization'] as string;
    const cred = `Credential=${AK}/20150830/us-east-1/iam/aws4_request`;
    const sh = 'SignedHeaders=content-type;host;x-amz-date';
    const sig = `Signature=${r.signature}`;
    const bad: [string, RegExp][] = [
      ['AWS4-HMAC-SHA256', /requires 'Credential' parameter.*requires 'Signature' parameter.*requires 'SignedHeaders' parameter/],
      [`AWS4-HMAC-SHA256 ${cred}, ${sh}`, /requires 'Signature' parameter/],
      [`AWS4-HMAC-SHA256 ${cred} ${sh}, ${sig}`, /requires 'SignedHeaders' parameter/],
      [`AWS4-HMAC-SHA256 ${AK}/20150830/us-east-1/iam/aws4_request, ${sh}, ${sig}`, /missing equal-sign/],
      [`AWS4-HMAC-SHA256 ${cred}, ${cred}, ${sh}, ${sig}`, /more than one 'Credential'/],
      [`AWS4-HMAC-SHA256 ${cred}, ${sh}, ${sig}, Foo=bar`, /unknown parameter/],
      [`AWS4-HMAC-SHA256 Credential=${AK}/20150830/us-east-1/iam, ${sh}, ${sig}`, /Credential is malformed/],
      [`AWS4-HMAC-SHA256 Credential=${AK}/20150830/us-east-1/iam/aws5_request, ${sh}, ${sig}`, /valid terminator: 'aws4_request', not 'aws5_request'/],
      [`AWS4-HMAC-SHA256 Credential=${AK}/20151330/us-east-1/iam/aws4_request, ${sh}, ${sig}`, /Invalid credential date/],
      [`AWS4-HMAC-SHA256 Credential=/20150830/us-east-1/iam/aws4_request, ${sh}, ${sig}`, /access key id/],
      [`AWS4-HMAC-SHA256 Credential=${AK}/20150830//iam/aws4_request, ${sh}, ${sig}`, /malformed region/],
      [`AWS4-HMAC-SHA256 ${cred}, SignedHeaders=host;content-type;x-amz-date, ${sig}`, /ascending order/],
      [`AWS4-HMAC-SHA256 ${cred}, SignedHeaders=Host;x-amz-date, ${sig}`, /lower-case/],
      [`AWS4-HMAC-SHA256 ${cred}, SignedHeaders=host;;x-amz-date, ${sig}`, /SignedHeaders must be/],
      [`AWS4-HMAC-SHA256 ${cred}, ${sh}, Signature=${r.signature.toUpperCase()}`, /64 lower-case hex/],
      [`AWS4-HMAC-SHA256 ${cred}, ${sh}, Signature=${r.signature.slice(1)}`, /64 lower-case hex/],
    ];
    for (const [authorization, msg] of bad) {
      expectCode(() => parseSigV4(withHeaders(r, { authorization })), 'IncompleteSignature', msg);
    }
    expectCode(() => parseSigV4(withHeaders(r, { authorization: [good, good] })), 'IncompleteSignature', /Multiple/);
    expectCode(() => parseSigV4(withHeaders(r, { 'x-amz-date': undefined })), 'IncompleteSignature', /either a 'X-Amz-Date' or a 'Date' header/);
    expectCode(() => parseSigV4(withHeaders(r, { 'x-amz-date': '2015-08-30T12:36:00Z' })), 'IncompleteSignature', /ISO-8601 'basic format'/);
    expectCode(() => parseSigV4(withHeaders(r, { 'x-amz-date': '20150830T253600Z' })), 'IncompleteSignature', /basic format/);
  });

  it('rejects an unknown AWS algorithm with IncompleteSignature', () => {
    const r = sign();
    const rest = (r.headers['authorization'] as string).slice('AWS4-HMAC-SHA256'.length);
    for (const alg of ['AWS4-HMAC-SHA512', 'AWS4-ECDSA-P256-SHA256', 'AWS4-HMAC-SHA256X']) {
      expectCode(() => parseSigV4(withHeaders(r, { authorization: alg + rest })), 'IncompleteSignature', /not supported/);
    }
    expectCode(() => parseSigV4(withHeaders(r, { authorization: `AWS ${AK}:frJIUN8DYpKDtOLCwo//yllqDzg=` })), 'IncompleteSignature');

    const p = sign({ method: 'GET', body: undefined, headers: {}, presignExpiresSeconds: 60 });
    expectCode(
      () => parseSigV4({ ...p, query: p.query.replace('X-Amz-Algorithm=AWS4-HMAC-SHA256', 'X-Amz-Algorithm=AWS4-HMAC-SHA512') }),
      'IncompleteSignature',
      /X-Amz-Algorithm only supports/,
    );
  });

  it('rejects malformed presigned parameters', () => {
    const p = sign({ method: 'GET', body: undefined, headers: {}, presignExpiresSeconds: 60 });
    const drop = (name: string) => p.query.split('&').filter((kv) => !kv.startsWith(`${name}=`)).join('&');
    for (const name of ['X-Amz-Credential', 'X-Amz-SignedHeaders', 'X-Amz-Signature', 'X-Amz-Date', 'X-Amz-Algorithm']) {
      expectCode(() => parseSigV4({ ...p, query: drop(name) }), 'IncompleteSignature', /requires the X-Amz-Algorithm/);
    }
    expectCode(() => parseSigV4({ ...p, query: `${p.query}&X-Amz-Date=20150830T123600Z` }), 'IncompleteSignature', /more than once/);
    expectCode(() => parseSigV4({ ...p, query: `${p.query}&X-Amz-Security-Token=%E0%A4%A` }), 'IncompleteSignature', /percent-encoding/);
    for (const expires of ['0', '-1', '1.5', 'abc', '', '9999999999']) {
      expectCode(
        () => parseSigV4({ ...p, query: p.query.replace('X-Amz-Expires=60', `X-Amz-Expires=${expires}`) }),
        'AuthorizationQueryParametersError',
      );
    }
    const r = sign();
    expectCode(
      () => parseSigV4({ ...r, query: p.query }),
      'InvalidRequest',
      /Only one auth mechanism/,
    );
  });
});

// ---------------------------------------------------------------------------------------------------

describe('verifySigV4', () => {
  it('accepts a correctly signed request, with and without a (signed) session token', () => {
    check(sign());
    check(sign({ credentials: { accessKeyId: AK, secretAccessKey: SECRET, sessionToken: TOKEN } }));
    check(sign({ url: `https://${HOST}/a/b%20c/?x=1&y=%2B&z=%E1%88%B4`, method: 'GET', body: undefined }));
  });

  it('rejects a wrong secret (SignatureDoesNotMatch, carrying our canonical request)', () => {
    const err = expectCode(() => check(sign(), {}, SECRET.replace('K', 'L')), 'SignatureDoesNotMatch', /signature we calculated does not match/);
    expect(err).toBeInstanceOf(SigV4SignatureMismatchError);
    expect((err as SigV4SignatureMismatchError).canonicalRequest).toContain('\nhost:iam.example.test\n');
    expect((err as SigV4SignatureMismatchError).stringToSign).toMatch(/^AWS4-HMAC-SHA256\n20150830T123600Z\n/);
    expect(err.httpStatus).toBe(403);

    const t = expectCode(() => check(sign({ credentials: { accessKeyId: AK, secretAccessKey: SECRET, sessionToken: TOKEN } }), {}, 'wrong'), 'SignatureDoesNotMatch');
    expect((t as SigV4SignatureMismatchError).canonicalRequest).toContain('\nx-amz-security-token:<redacted>\n');
    expect((t as SigV4SignatureMismatchError).canonicalRequest).not.toContain(TOKEN);
    const q = expectCode(
      () => check(sign({ method: 'GET', body: undefined, headers: {}, presignExpiresSeconds: 60, credentials: { accessKeyId: AK, secretAccessKey: SECRET, sessionToken: TOKEN } }), {}, 'wrong'),
      'SignatureDoesNotMatch',
    );
    expect((q as SigV4SignatureMismatchError).canonicalRequest).toContain('&X-Amz-Security-Token=<redacted>');
    expect((q as SigV4SignatureMismatchError).canonicalRequest).not.toContain('FwoGZXIvYXdz');
  });

  it('rejects a skew over 5 minutes, both ways (STS: SignatureDoesNotMatch)', () => {
    const r = sign();
    check(r, { now: at('2015-08-30T12:41:00Z') });
    check(r, { now: at('2015-08-30T12:31:00Z') });
    expectCode(
      () => check(r, { now: at('2015-08-30T12:41:01Z') }),
      'SignatureDoesNotMatch',
      'Signature expired: 20150830T123600Z is now earlier than 20150830T123601Z (20150830T124101Z - 5 min.)',
    );
    expectCode(
      () => check(r, { now: at('2015-08-30T12:30:59Z') }),
      'SignatureDoesNotMatch',
      'Signature not yet current: 20150830T123600Z is still later than 20150830T123559Z (20150830T123059Z + 5 min.)',
    );
    check(r, { now: at('2015-08-30T12:50:00Z'), maxSkewSeconds: 900 });
    expectCode(() => check(r, { now: at('2015-08-30T12:36:31Z'), maxSkewSeconds: 30 }), 'SignatureDoesNotMatch', /- 30 sec\./);
  });

  it('presigned: valid until X-Amz-Date + X-Amz-Expires, then RequestExpired', () => {
    const p = sign({ method: 'GET', url: `https://${HOST}/?Action=GetCallerIdentity&Version=2011-06-15`, body: undefined, headers: {}, presignExpiresSeconds: 3600 });
    check(p, { now: at('2015-08-30T13:36:00Z') });
    const err = expectCode(() => check(p, { now: at('2015-08-30T13:36:01Z') }), 'RequestExpired', 'Request has expired');
    expect(err.httpStatus).toBe(400);
    // not yet valid: dated beyond now + skew
    expectCode(() => check(p, { now: at('2015-08-30T12:30:59Z') }), 'SignatureDoesNotMatch', /Signature not yet current/);
  });

  it('presigned: X-Amz-Expires above 7 days is rejected', () => {
    const week = sign({ method: 'GET', body: undefined, headers: {}, presignExpiresSeconds: 604800 });
    check(week, { now: at('2015-09-06T12:36:00Z') });
    const more = sign({ method: 'GET', body: undefined, headers: {}, presignExpiresSeconds: 604801 });
    expectCode(() => check(more), 'AuthorizationQueryParametersError', /must be less than 604800 seconds/);
    expectCode(() => check(week, { maxPresignSeconds: 900 }), 'AuthorizationQueryParametersError', /at most 900 seconds/);
  });

  it('presigned without X-Amz-Expires: the ±skew window applies', () => {
    const p = sign({ method: 'GET', body: undefined, headers: {}, presignExpiresSeconds: 60 });
    // re-sign the same request without X-Amz-Expires, by hand
    const query = p.query.split('&').filter((kv) => !kv.startsWith('X-Amz-Expires=') && !kv.startsWith('X-Amz-Signature=')).join('&');
    const req: SigV4Request = { method: 'GET', path: '/', query, headers: { host: HOST } };
    const parsedLike = { form: 'query' as const, signedHeaders: ['host'] };
    const sts = stringToSign(
      { amzDate: '20150830T123600Z', credential: { accessKeyId: AK, date: '20150830', region: 'us-east-1', service: 'iam' } },
      createHash('sha256').update(canonicalRequest(req, parsedLike, createHash('sha256').update('').digest('hex'))).digest('hex'),
    );
    req.query += `&X-Amz-Signature=${createHmac('sha256', deriveSigningKey(SECRET, '20150830', 'us-east-1', 'iam')).update(sts).digest('hex')}`;
    expect(parseSigV4(req)!.expiresSeconds).toBeUndefined();
    check(req, { now: at('2015-08-30T12:41:00Z') });
    expectCode(() => check(req, { now: at('2015-08-30T12:41:01Z') }), 'SignatureDoesNotMatch', /Signature expired/);
  });

  it('rejects a credential scope date that is not the request date', () => {
    const r = sign({ date: at('2015-08-30T23:59:00Z') });
    const authorization = (r.headers['authorization'] as string).replace('/20150830/', '/20150831/');
    expectCode(
      () => check(withHeaders(r, { authorization }), { now: at('2015-08-30T23:59:00Z') }),
      'SignatureDoesNotMatch',
      "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20150831' != '20150830', from 'X-Amz-Date'.",
    );
  });

  it('rejects a region or service that is not allowed', () => {
    const r = sign({ region: 'eu-west-1' });
    expectCode(() => check(r), 'SignatureDoesNotMatch', "Credential should be scoped to a valid region, not 'eu-west-1'.");
    check(r, { allowedRegions: '*' });
    check(r, { allowedRegions: undefined });
    expectCode(() => check(sign({ service: 's3' })), 'SignatureDoesNotMatch', /Credential should be scoped to correct service: 'iam' or 'sts'/);
  });

  it('rejects a request whose SignedHeaders lack host (or the date header)', () => {
    const r = sign();
    const authorization = r.headers['authorization'] as string;
    expectCode(
      () => check(withHeaders(r, { authorization: authorization.replace('content-type;host;x-amz-date', 'content-type;x-amz-date') })),
      'IncompleteSignature',
      "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
    );
    expectCode(
      () => check(withHeaders(r, { authorization: authorization.replace('content-type;host;x-amz-date', 'content-type;host') })),
      'IncompleteSignature',
      /'X-Amz-Date' must be a 'SignedHeader'/,
    );
    const p = sign({ method: 'GET', body: undefined, headers: {}, presignExpiresSeconds: 60 });
    expectCode(() => check({ ...p, query: p.query.replace('X-Amz-SignedHeaders=host', 'X-Amz-SignedHeaders=x-foo') }), 'IncompleteSignature', /'Host'/);
  });

  it('rejects a signed header that is missing from the request', () => {
    const r = sign({ headers: { 'content-type': 'application/json', 'x-amz-target': 'Foo.Bar' } });
    expectCode(() => check(withHeaders(r, { 'x-amz-target': undefined })), 'SignatureDoesNotMatch', /Signed header 'x-amz-target' is not present/);
  });

  it('uses :authority when there is no host header (HTTP/2)', () => {
    const r = sign();
    check(withHeaders(r, { host: undefined, ':authority': HOST }));
  });

  it('checks x-amz-content-sha256 against the body', () => {
    const body = JSON.stringify({ UserName: 'alice' });
    const bodyHash = createHash('sha256').update(body).digest('hex');
    const r = sign({ body, headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-content-sha256': bodyHash } });
    check(r);
    expectCode(() => check({ ...r, body: body.replace('alice', 'alicf') }), 'XAmzContentSHA256Mismatch', /does not match what was computed/);
    // the header unsigned and changed along with the body: the signature still covers the body
    const u = sign({ body, headers: { 'content-type': 'application/x-amz-json-1.1' } });
    const forged = body.replace('alice', 'mallory');
    expectCode(() => check(withHeaders({ ...u, body: forged }, { 'x-amz-content-sha256': createHash('sha256').update(forged).digest('hex') })), 'SignatureDoesNotMatch');
    // header form never accepts an unsigned or streaming payload
    for (const v of ['UNSIGNED-PAYLOAD', 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD', 'abc']) {
      const s = sign({ body, headers: { 'x-amz-content-sha256': v }, payloadHash: v });
      expectCode(() => check(s), 'InvalidRequest', /x-amz-content-sha256/);
    }
  });

  it('query form: body hash by default, UNSIGNED-PAYLOAD when the signer chose it', () => {
    const body = 'Action=ListUsers&Version=2010-05-08';
    const hashed = sign({ body, presignExpiresSeconds: 300 });
    check(hashed);
    expectCode(() => check({ ...hashed, body: body + '&x=1' }), 'SignatureDoesNotMatch');

    const unsigned = sign({ body, presignExpiresSeconds: 300, payloadHash: 'UNSIGNED-PAYLOAD' });
    check(unsigned);
    check({ ...unsigned, body: 'anything' });

    // declared in the query (S3-style presigners hoist x-amz-content-sha256 into X-Amz-Content-Sha256)
    const declared = sign({ url: `https://${HOST}/?X-Amz-Content-Sha256=UNSIGNED-PAYLOAD`, body, presignExpiresSeconds: 300, payloadHash: 'UNSIGNED-PAYLOAD' });
    expect(parseSigV4(declared)!.contentSha256).toBe('UNSIGNED-PAYLOAD');
    check(declared);
  });

  it('a rotated secret never hits a signing key cached for the old one', () => {
    const cache = new SigningKeyCache(8);
    const r = sign();
    check(r, { signingKeyCache: cache });
    expect(cache.size).toBe(1);
    const rotated = 'rotatedSecretKEYrotatedSecretKEY01234567';
    expectCode(() => check(r, { signingKeyCache: cache }, rotated), 'SignatureDoesNotMatch');
    check(sign({ credentials: { accessKeyId: AK, secretAccessKey: rotated } }), { signingKeyCache: cache }, rotated);
    // The rotated secret replaced the entry for that scope; the old secret's key is gone with it.
    expect(cache.size).toBe(1);
    expectCode(() => check(r, { signingKeyCache: cache }, rotated), 'SignatureDoesNotMatch');
    check(r, { signingKeyCache: cache });
  });

  it('HmacSha256 gives createHmac’s bytes for every key and message length', () => {
    for (const keyLen of [0, 1, 32, 63, 64, 65, 200]) {
      const key = Buffer.alloc(keyLen, 0xa7);
      for (let i = 0; i < keyLen; i++) key[i] = (i * 31 + keyLen) & 0xff;
      const h = new HmacSha256(key);
      for (const msg of ['', 'a', 'x'.repeat(55), 'y'.repeat(64), 'z'.repeat(300), 'é€😀 AWS4-HMAC-SHA256\n', 'short again']) {
        expect(h.digest(msg).equals(createHmac('sha256', key).update(msg, 'utf8').digest())).toBe(true);
      }
    }
  });

  it('the signing-key cache is a bounded LRU', () => {
    const cache = new SigningKeyCache(2);
    const k1 = cache.get(AK, SECRET, '20150830', 'us-east-1', 'iam');
    cache.get(AK, SECRET, '20150830', 'us-east-1', 'sts');
    expect(cache.get(AK, SECRET, '20150830', 'us-east-1', 'iam')).toBe(k1); // refreshes 'iam'
    cache.get(AK, SECRET, '20150830', 'eu-west-1', 'iam'); // evicts 'sts'
    expect(cache.size).toBe(2);
    expect(cache.get(AK, SECRET, '20150830', 'us-east-1', 'iam')).toBe(k1);
    expect(cache.get(AK, SECRET, '20150830', 'us-east-1', 'iam').equals(deriveSigningKey(SECRET, '20150830', 'us-east-1', 'iam'))).toBe(true);
    expect(() => new SigningKeyCache(0)).toThrow(RangeError);
  });

  it('maps every code to AWS’s HTTP status', () => {
    expect(SIGV4_ERROR_HTTP_STATUS).toEqual({
      MissingAuthenticationToken: 403,
      IncompleteSignature: 400,
      InvalidClientTokenId: 403,
      SignatureDoesNotMatch: 403,
      RequestExpired: 400,
      AuthorizationQueryParametersError: 400,
      XAmzContentSHA256Mismatch: 400,
      InvalidRequest: 400,
    });
    expect(new SigV4Error('IncompleteSignature', 'x').httpStatus).toBe(400);
  });
});

// ---------------------------------------------------------------------------------------------------

/** RFC 3986 encoding, as the SDKs put a query object on the wire. */
const rfc3986 = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

type SmithyQuery = Record<string, string | string[] | null>;

function wireQuery(query: SmithyQuery | undefined, encode = rfc3986): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(query ?? {})) {
    for (const one of Array.isArray(v) ? v : [v ?? '']) parts.push(`${encode(k)}=${encode(one)}`);
  }
  return parts.join('&');
}

interface SmithyOut {
  method: string;
  path: string;
  query?: SmithyQuery;
  headers: Record<string, string>;
  body?: unknown;
}

function fromSmithy(out: SmithyOut, body?: string, encode?: (s: string) => string): SigV4Request {
  const headers: HeaderMap = {};
  for (const [k, v] of Object.entries(out.headers)) headers[k.toLowerCase()] = v;
  const req: SigV4Request = { method: out.method, path: out.path, query: wireQuery(out.query, encode), headers };
  if (body !== undefined) req.body = body;
  return req;
}

describe('cross-check: requests signed by @smithy/signature-v4 (the AWS SDK for JavaScript v3 signer)', () => {
  const signer = (sessionToken?: string, service = 'sts') =>
    new SignatureV4({
      credentials: { accessKeyId: AK, secretAccessKey: SECRET, ...(sessionToken ? { sessionToken } : {}) },
      region: 'us-east-1',
      service,
      sha256: Sha256,
    });
  const signingDate = NOW;

  for (const token of [undefined, TOKEN]) {
    const label = token ? 'with a session token' : 'without a session token';

    it(`header form, POST with a JSON body, ${label}`, async () => {
      const body = JSON.stringify({ RoleArn: 'arn:aws:iam::123456789012:role/demo', RoleSessionName: 's 1', Tags: ['ü', '+'] });
      const out = (await signer(token).sign(
        {
          method: 'POST',
          protocol: 'https:',
          hostname: HOST,
          path: '/',
          headers: { host: HOST, 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSSecurityTokenServiceV20110615.AssumeRole' },
          body,
        },
        { signingDate },
      )) as SmithyOut;
      const req = fromSmithy(out, body);
      const p = check(req);
      expect(p.securityToken).toBe(token);
      expect(p.signedHeaders).toContain('x-amz-content-sha256');
      expectCode(() => check({ ...req, body: body.replace('demo', 'demp') }), 'XAmzContentSHA256Mismatch');
      expectCode(() => check(withHeaders(req, { 'x-amz-target': 'AWSSecurityTokenServiceV20110615.GetCallerIdentity' })), 'SignatureDoesNotMatch');
    });

    it(`header form, GET with query parameters and an encoded path, ${label}`, async () => {
      const query = { Action: 'ListUsers', Version: '2010-05-08', PathPrefix: '/a b+c/', Marker: 'ሴ~*', Multi: ['2', '10', '1'], Empty: '' };
      const out = (await signer(token, 'iam').sign(
        { method: 'GET', protocol: 'https:', hostname: HOST, path: '/users/example%20space/./x/../', query, headers: { host: HOST } },
        { signingDate },
      )) as SmithyOut;
      const req = fromSmithy(out);
      expect(req.path).toBe('/users/example%20space/./x/../');
      check(req);
      // The same query serialised the WHATWG way (space → '+') verifies too: '+' reads as a space.
      check(fromSmithy(out, undefined, (s) => new URLSearchParams([[s, '']]).toString().slice(0, -1)));
      expectCode(() => check({ ...req, query: req.query.replace('ListUsers', 'ListUserz') }), 'SignatureDoesNotMatch');
    });

    it(`presigned GET (STS GetCallerIdentity style), ${label}`, async () => {
      const out = (await signer(token).presign(
        {
          method: 'GET',
          protocol: 'https:',
          hostname: HOST,
          path: '/',
          query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
          headers: { host: HOST, 'x-k8s-aws-id': 'cluster-1' },
        },
        { signingDate, expiresIn: 900 },
      )) as SmithyOut;
      const req = fromSmithy(out);
      const p = check(req);
      expect(p.form).toBe('query');
      expect(p.signedHeaders).toEqual(['host', 'x-k8s-aws-id']);
      expect(p.securityToken).toBe(token);
      expect(p.expiresSeconds).toBe(900);
      expectCode(() => check(req, { now: at('2015-08-30T12:51:01Z') }), 'RequestExpired');
      expectCode(() => check(withHeaders(req, { 'x-k8s-aws-id': 'cluster-2' })), 'SignatureDoesNotMatch');
    });

    it(`presigned POST with a JSON body, ${label}`, async () => {
      const body = JSON.stringify({ a: 1 });
      const out = (await signer(token).presign(
        { method: 'POST', protocol: 'https:', hostname: HOST, path: '/', query: { Action: 'Foo' }, headers: { host: HOST, 'content-type': 'application/json' }, body },
        { signingDate, expiresIn: 60 },
      )) as SmithyOut;
      const req = fromSmithy(out, body);
      check(req);
      expectCode(() => check({ ...req, body: JSON.stringify({ a: 2 }) }), 'SignatureDoesNotMatch');
    });
  }

  it('presigned with UNSIGNED-PAYLOAD (S3-style: x-amz-content-sha256 hoisted into the query)', async () => {
    const out = (await signer(undefined, 'iam').presign(
      { method: 'PUT', protocol: 'https:', hostname: HOST, path: '/bucket/key', headers: { host: HOST, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } },
      { signingDate, expiresIn: 60 },
    )) as SmithyOut;
    const req = fromSmithy(out, 'any body');
    expect(req.query.toLowerCase()).toContain('x-amz-content-sha256=unsigned-payload');
    expect(check(req).contentSha256).toBe('UNSIGNED-PAYLOAD');
  });

  it('our signer and smithy produce the same signature', async () => {
    const body = '{"x":1}';
    const out = (await signer(TOKEN).sign(
      { method: 'POST', protocol: 'https:', hostname: HOST, path: '/p%20q', query: { b: '2', a: 'x y' }, headers: { host: HOST, 'content-type': 'application/json' }, body },
      { signingDate },
    )) as SmithyOut;
    const ours = signRequest({
      method: 'POST',
      url: `https://${HOST}/p%20q?b=2&a=x%20y`,
      headers: { 'content-type': 'application/json', 'x-amz-content-sha256': createHash('sha256').update(body).digest('hex') },
      body,
      credentials: { accessKeyId: AK, secretAccessKey: SECRET, sessionToken: TOKEN },
      region: 'us-east-1',
      service: 'sts',
      date: NOW,
    });
    expect(ours.authorization).toBe(out.headers['authorization']);
  });
});
