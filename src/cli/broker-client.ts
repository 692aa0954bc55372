import { signRequest } from '../common/sigv4/sign.js';
import { CliError, oneLine, redactSecrets } from './cli-error.js';
import type { SigningKeys } from './source-credentials.js';

/** The broker's REST STS operations this client calls. */
export type StsOperation = 'get-session-token' | 'assume-role' | 'assume-role-with-web-identity';

export interface StsCredentialsJson {
  AccessKeyId: string;
  SecretAccessKey: string;
  SessionToken: string;
  Expiration: string;
}

export interface BrokerCall {
  /** The broker's base URL (scheme, host, optional port and path prefix). */
  endpoint: string;
  operation: StsOperation;
  /** AWS parameter names (RoleArn, RoleSessionName, DurationSeconds, Policy, SerialNumber, TokenCode, WebIdentityToken). */
  params: Record<string, unknown>;
  /** Signs the request (SigV4, service "sts", region "us-east-1"); absent for web identity. */
  keys?: SigningKeys;
  timeoutMs?: number;
  /** Extra attempts after a connection failure or a 429/502/503/504. */
  retries?: number;
  /** Values to scrub from any message, whatever happens. */
  secrets?: (string | undefined)[];
  fetchImpl?: typeof fetch;
}

/** Parses and normalises the endpoint: http(s), no credentials, no query. `base` has no trailing slash. */
export function parseEndpoint(raw: string | undefined): { origin: string; base: string } {
  if (!raw) throw new CliError('no broker endpoint: pass --endpoint <url> or set CREDBROKER_ENDPOINT');
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new CliError('the broker endpoint is not a valid URL');
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new CliError('the broker endpoint must be an http:// or https:// URL');
  if (u.username || u.password) throw new CliError('the broker endpoint must not contain credentials');
  if (u.search || u.hash) throw new CliError('the broker endpoint must not have a query or fragment');
  return { origin: u.origin, base: u.origin + u.pathname.replace(/\/+$/, '') };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const RETRY_STATUS = new Set([429, 502, 503, 504]);

function credentialsOf(body: unknown): StsCredentialsJson | null {
  const c = (body as { Credentials?: Record<string, unknown> } | null)?.Credentials;
  if (!c || typeof c !== 'object') return null;
  const { AccessKeyId, SecretAccessKey, SessionToken, Expiration } = c;
  if (typeof AccessKeyId !== 'string' || typeof SecretAccessKey !== 'string' || typeof SessionToken !== 'string') return null;
  const exp = typeof Expiration === 'string' || typeof Expiration === 'number' ? new Date(Expiration) : null;
  if (!exp || Number.isNaN(exp.getTime())) return null;
  return { AccessKeyId, SecretAccessKey, SessionToken, Expiration: exp.toISOString().replace(/\.\d{3}Z$/, 'Z') };
}

/** The broker's REST error (`{"error":{"code","message","requestId"}}`) as one safe line. */
function errorLine(status: number, text: string, secrets: (string | undefined)[]): string {
  let code = '';
  let message = '';
  let requestId = '';
  try {
    const e = (JSON.parse(text) as { error?: { code?: unknown; message?: unknown; requestId?: unknown } }).error;
    if (typeof e?.code === 'string') code = e.code;
    if (typeof e?.message === 'string') message = e.message;
    if (typeof e?.requestId === 'string') requestId = e.requestId;
  } catch {
    // Not the broker's error format (a proxy's page): the status alone says enough.
  }
  const what = code ? `${code}: ${message || '(no message)'}` : 'the broker refused the request';
  const details = [`HTTP ${status}`, requestId ? `request id ${requestId}` : ''].filter(Boolean).join(', ');
  return oneLine(redactSecrets(`${what} (${details})`, secrets));
}

/** Calls one STS operation on the broker's REST API and returns the credentials. */
export async function callBrokerSts(call: BrokerCall): Promise<StsCredentialsJson> {
  const endpoint = parseEndpoint(call.endpoint);
  const url = `${endpoint.base}/v1/sts/${call.operation}`;
  const body = JSON.stringify(call.params);
  const secrets = [...(call.secrets ?? []), call.keys?.secretAccessKey, call.keys?.sessionToken];
  const doFetch = call.fetchImpl ?? fetch;
  const retries = call.retries ?? 2;
  for (let attempt = 0; ; attempt++) {
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json', 'user-agent': 'credbroker-cli' };
    if (call.keys) {
      const signed = signRequest({ method: 'POST', url, headers, body, credentials: call.keys, region: 'us-east-1', service: 'sts' });
      for (const [k, v] of Object.entries(signed.headers)) if (k !== 'host') headers[k] = Array.isArray(v) ? v.join(',') : v;
    }
    let res: Response;
    try {
      res = await doFetch(url, { method: 'POST', headers, body, redirect: 'error', signal: AbortSignal.timeout(call.timeoutMs ?? 15_000) });
    } catch (e) {
      if (attempt < retries) {
        await sleep(250 * 3 ** attempt);
        continue;
      }
      // Transport errors only (the request body is never part of them): a code such as ECONNREFUSED, or undici's short reason.
      const err = e as Error & { cause?: { code?: string; message?: string } };
      const why = err.name === 'TimeoutError' ? 'timed out' : (err.cause?.code ?? err.cause?.message ?? 'connection failed');
      throw new CliError(`cannot reach the broker at ${endpoint.origin}: ${oneLine(why, 60)}`);
    }
    const text = await res.text().catch(() => '');
    if (res.ok) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        // Never echo the body: it may hold credentials.
        throw new CliError(`the broker's answer to ${call.operation} is not JSON (HTTP ${res.status})`);
      }
      const creds = credentialsOf(parsed);
      if (!creds) throw new CliError(`the broker's answer to ${call.operation} has no credentials (HTTP ${res.status})`);
      return creds;
    }
    if (RETRY_STATUS.has(res.status) && attempt < retries) {
      const after = Number(res.headers.get('retry-after'));
      await sleep(Number.isFinite(after) && after > 0 && after <= 10 ? after * 1000 : 250 * 3 ** attempt);
      continue;
    }
    throw new CliError(errorLine(res.status, text, secrets));
  }
}
