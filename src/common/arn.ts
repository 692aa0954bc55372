/**
 * ARN building and parsing for the `aws` partition.
 *
 * Builders validate their inputs (12-digit account id, path starting and ending with "/", non-empty
 * names) and throw a RangeError on programmer error, so a malformed ARN is never persisted.
 * An empty/undefined path is treated as "/".
 */

export const PARTITION = 'aws';

/** AWS account ids: exactly 12 decimal digits. */
export const ARN_ACCOUNT_ID_RE = /^[0-9]{12}$/;

export interface ParsedArn {
  partition: string;
  service: string;
  region: string;
  /** 12 digits, "aws" (AWS managed policies) or "" (e.g. S3). */
  accountId: string;
  /** Everything after the fifth ':' (may itself contain ':' or '/'). */
  resource: string;
  /** Text before the first '/' or ':' in `resource`, when there is such a separator (e.g. "user", "assumed-role"). */
  resourceType?: string;
  /** Text after that first separator (e.g. "division/alice" for "user/division/alice"). */
  resourceId?: string;
}

function acct(accountId: string): string {
  if (typeof accountId !== 'string' || !ARN_ACCOUNT_ID_RE.test(accountId)) {
    throw new RangeError('account id must be 12 digits');
  }
  return accountId;
}

function normPath(path: string | undefined | null): string {
  if (path === undefined || path === null || path === '') return '/';
  if (typeof path !== 'string' || !path.startsWith('/') || !path.endsWith('/')) {
    throw new RangeError('path must start and end with "/"');
  }
  return path;
}

function nonEmpty(value: string, what: string): string {
  if (typeof value !== 'string' || value.length === 0) throw new RangeError(`${what} must be a non-empty string`);
  if (/[\s]/.test(value)) throw new RangeError(`${what} must not contain whitespace`);
  return value;
}

function iam(accountId: string, resourceType: string, path: string | undefined, name: string): string {
  return `arn:${PARTITION}:iam::${accountId}:${resourceType}${normPath(path)}${nonEmpty(name, 'name')}`;
}

/** arn:aws:iam::<acct>:root */
export function rootArn(accountId: string): string {
  return `arn:${PARTITION}:iam::${acct(accountId)}:root`;
}

/** arn:aws:iam::<acct>:user<path><name> */
export function userArn(accountId: string, path: string, name: string): string {
  return iam(acct(accountId), 'user', path, name);
}

/** arn:aws:iam::<acct>:group<path><name> */
export function groupArn(accountId: string, path: string, name: string): string {
  return iam(acct(accountId), 'group', path, name);
}

/** arn:aws:iam::<acct>:role<path><name> */
export function roleArn(accountId: string, path: string, name: string): string {
  return iam(acct(accountId), 'role', path, name);
}

/** arn:aws:iam::<acct|aws>:policy<path><name> ("aws" for AWS-managed policies). */
export function policyArn(accountId: string | 'aws', path: string, name: string): string {
  return iam(accountId === 'aws' ? 'aws' : acct(accountId), 'policy', path, name);
}

/** arn:aws:iam::<acct>:mfa<path><name> (virtual MFA device). */
export function mfaArn(accountId: string, path: string, name: string): string {
  return iam(acct(accountId), 'mfa', path, name);
}

/** arn:aws:sts::<acct>:assumed-role/<role>/<session> */
export function assumedRoleArn(accountId: string, roleName: string, sessionName: string): string {
  return `arn:${PARTITION}:sts::${acct(accountId)}:assumed-role/${nonEmpty(roleName, 'role name')}/${nonEmpty(sessionName, 'session name')}`;
}

/** arn:aws:sts::<acct>:federated-user/<name> */
export function federatedUserArn(accountId: string, name: string): string {
  return `arn:${PARTITION}:sts::${acct(accountId)}:federated-user/${nonEmpty(name, 'name')}`;
}

/**
 * arn:aws:iam::<acct>:oidc-provider/<host/path>. A leading "https://" and trailing "/" are stripped,
 * so the issuer URL can be passed directly.
 */
export function oidcProviderArn(accountId: string, hostAndPath: string): string {
  const hp = nonEmpty(hostAndPath, 'host').replace(/^https:\/\//i, '').replace(/\/+$/, '');
  if (hp.length === 0) throw new RangeError('host must be a non-empty string');
  return `arn:${PARTITION}:iam::${acct(accountId)}:oidc-provider/${hp}`;
}

/**
 * Parses "arn:<partition>:<service>:<region>:<account>:<resource>". Returns null if malformed:
 * partition must look like aws / aws-cn / aws-us-gov..., service [a-z0-9-]+, region [a-z0-9-]*,
 * account 12 digits, "aws" or empty, resource non-empty without whitespace/control characters.
 */
export function parseArn(arn: string): ParsedArn | null {
  if (typeof arn !== 'string' || arn.length > 2048) return null;
  const parts = arn.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') return null;
  const [, partition, service, region, accountId] = parts as [string, string, string, string, string];
  const resource = parts.slice(5).join(':');
  if (!/^aws(-[a-z]+)*$/.test(partition)) return null;
  if (!/^[a-z0-9-]+$/.test(service)) return null;
  if (!/^[a-z0-9-]*$/.test(region)) return null;
  if (!(accountId === '' || accountId === 'aws' || ARN_ACCOUNT_ID_RE.test(accountId))) return null;
  if (resource.length === 0 || /[\x00-\x20]/.test(resource)) return null;
  const parsed: ParsedArn = { partition, service, region, accountId, resource };
  const sep = resource.search(/[/:]/);
  if (sep > 0) {
    parsed.resourceType = resource.slice(0, sep);
    parsed.resourceId = resource.slice(sep + 1);
  }
  return parsed;
}
