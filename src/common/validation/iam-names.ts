/**
 * IAM name / path / alias validators, following the patterns in the AWS IAM API reference.
 * Note: `\w` in a JS regex without the `u` flag is exactly [A-Za-z0-9_].
 */

/** UserName / RoleName: [\w+=,.@-]+, 1-64. */
export const IAM_NAME_RE = /^[\w+=,.@-]{1,64}$/;
/** GroupName: [\w+=,.@-]+, 1-128. */
export const GROUP_NAME_RE = /^[\w+=,.@-]{1,128}$/;
/** PolicyName: [\w+=,.@-]+, 1-128. */
export const POLICY_NAME_RE = /^[\w+=,.@-]{1,128}$/;
/**
 * Path: AWS pattern (\u002F)|(\u002F[\u0021-\u007F]+\u002F), length 1-512.
 * So "/" or "/…/" with at least one character in between (which may itself be "/", e.g. "///");
 * "//" is NOT valid. The range includes \x7F exactly as AWS specifies.
 */
export const IAM_PATH_RE = /^(?:\/|\/[\x21-\x7F]{1,510}\/)$/;
/** VirtualMFADeviceName: [\w+=,.@-]+, 1-226. */
export const MFA_DEVICE_NAME_RE = /^[\w+=,.@-]{1,226}$/;
/** AccountAlias: AWS pattern, 3-63 chars, lowercase letters/digits/hyphens, no leading/trailing or double hyphen. */
export const ACCOUNT_ALIAS_RE = /^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$/;

export function isValidIamName(s: string): boolean {
  return typeof s === 'string' && IAM_NAME_RE.test(s);
}
export function isValidGroupName(s: string): boolean {
  return typeof s === 'string' && GROUP_NAME_RE.test(s);
}
export function isValidPolicyName(s: string): boolean {
  return typeof s === 'string' && POLICY_NAME_RE.test(s);
}
export function isValidIamPath(s: string): boolean {
  return typeof s === 'string' && IAM_PATH_RE.test(s);
}
export function isValidMfaDeviceName(s: string): boolean {
  return typeof s === 'string' && MFA_DEVICE_NAME_RE.test(s);
}

/**
 * AWS CreateAccountAlias rules: ^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$ (3-63 chars).
 * AWS documents no "not only digits" rule, so an all-digit alias is accepted, as in AWS. Sign-in code
 * that accepts "account id or alias" should resolve 12-digit input as an account id first, or refuse
 * such aliases with {@link aliasLooksLikeAccountId}.
 */
export function isValidAccountAlias(alias: string): boolean {
  return typeof alias === 'string' && ACCOUNT_ALIAS_RE.test(alias);
}

/** True when an alias is exactly 12 digits and so could be confused with an account id at sign-in. */
export function aliasLooksLikeAccountId(alias: string): boolean {
  return typeof alias === 'string' && /^[0-9]{12}$/.test(alias);
}

/**
 * Pragmatic email check: max 254 chars, exactly one '@', non-empty local part (max 64), no whitespace or
 * control characters, domain made of non-empty dot-separated labels with at least one dot.
 */
export function isValidEmail(s: string): boolean {
  if (typeof s !== 'string' || s.length > 254) return false;
  if (/[\s\x00-\x1F\x7F]/.test(s)) return false;
  const at = s.indexOf('@');
  if (at <= 0 || at !== s.lastIndexOf('@')) return false;
  const local = s.slice(0, at);
  const domain = s.slice(at + 1);
  if (local.length > 64) return false;
  if (!domain.includes('.')) return false;
  const labels = domain.split('.');
  return labels.every((l) => l.length > 0 && l.length <= 63 && !l.startsWith('-') && !l.endsWith('-'));
}
