import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import type { TestApp } from './test-app.js';

export interface Keys {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/**
 * Signs requests with @smithy/signature-v4 (the AWS SDK's signer, an
 * independent implementation) and sends them to the test app through supertest.
 */
export async function signedRequest(
  t: TestApp,
  keys: Keys,
  method: string,
  path: string,
  opts: { body?: unknown; query?: Record<string, string>; region?: string; service?: string; presign?: boolean; signingDate?: Date; tamper?: (h: Record<string, string>) => void } = {},
) {
  const signer = new SignatureV4({ credentials: keys, region: opts.region ?? 'us-east-1', service: opts.service ?? 'sts', sha256: Sha256 });
  const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  const headers: Record<string, string> = { host: '127.0.0.1' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const req = { method, protocol: 'http:', hostname: '127.0.0.1', path, query: opts.query ?? {}, headers, body };
  const signed = opts.presign
    ? await signer.presign(req, { expiresIn: 300, signingDate: opts.signingDate })
    : await signer.sign(req, { signingDate: opts.signingDate });
  const qs = new URLSearchParams(signed.query as Record<string, string>).toString().replace(/\+/g, '%20');
  const url = qs ? `${path}?${qs}` : path;
  const h = { ...(signed.headers as Record<string, string>) };
  opts.tamper?.(h);
  let r = t.http[method.toLowerCase() as 'get'](url);
  for (const [k, v] of Object.entries(h)) r = r.set(k, v);
  if (body !== undefined) r = r.send(body);
  return r;
}
