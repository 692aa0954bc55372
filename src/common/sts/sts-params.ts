/**
 * STS request parameters: validation and normalisation, shared by every transport.
 *
 * Pure module (no framework, no I/O). The REST transport passes its JSON body; the AWS Query
 * transport passes its form fields with lists already turned into arrays
 * (`PolicyArns.member.1.arn` → `PolicyArns: [{ arn }]`, `Tags.member.1.Key` → `Tags: [{ Key }]`),
 * so every value may be a string; DurationSeconds may be a number or a decimal string.
 *
 * Names, limits and messages follow the AWS STS API reference:
 * - constraint violations are collected (one per parameter) into one ValidationError,
 *   "2 validation errors detected: Value 'x' at 'roleSessionName' failed to satisfy constraint: …; …";
 * - echoed values are cut to 64 characters (control characters shown as "?"); WebIdentityToken,
 *   TokenCode and Policy are never echoed ('<redacted>');
 * - unknown parameters are ignored (as AWS does), wrong types are ValidationError, null is absent;
 * - cross-parameter rules (duplicate tag keys, transitive tag keys, SerialNumber with TokenCode)
 *   are checked once every parameter is well-formed; the session policy is parsed last
 *   (MalformedPolicyDocument).
 */
import { PARTITION, parseArn } from '../arn.js';
import { DomainError } from '../errors/domain-error.js';
import { ErrorCode } from '../errors/error-codes.js';
import { parsePolicyDocument, PolicyValidationError, policyDocumentSize, type PolicyDocument } from '../policy/policy-document.js';

// ---------------------------------------------------------------------------------------------
// Types
// ---------------------------------------------------------------------------------------------

export interface SessionTag {
  Key: string;
  Value: string;
}

/** A PolicyArns member as AWS spells it (`PolicyArns.member.N.arn`). */
export interface PolicyArnRef {
  arn: string;
}

/** Session policies, normalized: the inline policy text as given and the managed policy ARNs only. */
export interface SessionPolicyInput {
  Policy?: string;
  PolicyArns: string[];
}

export interface GetSessionTokenInput {
  DurationSeconds?: number;
  SerialNumber?: string;
  TokenCode?: string;
}

export interface AssumeRoleInput extends SessionPolicyInput {
  RoleArn: string;
  RoleSessionName: string;
  DurationSeconds?: number;
  ExternalId?: string;
  Tags: SessionTag[];
  TransitiveTagKeys: string[];
  SourceIdentity?: string;
  SerialNumber?: string;
  TokenCode?: string;
}

export interface GetFederationTokenInput extends SessionPolicyInput {
  Name: string;
  DurationSeconds?: number;
  Tags: SessionTag[];
}

export interface AssumeRoleWithWebIdentityInput extends SessionPolicyInput {
  RoleArn: string;
  RoleSessionName: string;
  WebIdentityToken: string;
  DurationSeconds?: number;
}

// ---------------------------------------------------------------------------------------------
// Limits
// ---------------------------------------------------------------------------------------------

/** AWS STS parameter limits (lengths in characters, list sizes in items, durations in seconds). */
export const STS_LIMITS = {
  roleArn: { min: 20, max: 2048 },
  roleSessionName: { min: 2, max: 64 },
  /** GetFederationToken Name. */
  federationName: { min: 2, max: 32 },
  /** Outer bound for GetSessionToken and GetFederationToken (per-operation bounds: resolveDuration). */
  durationSeconds: { min: 900, max: 129_600 },
  /** Outer bound for AssumeRole and AssumeRoleWithWebIdentity (AWS: 900-43200; the role's MaxSessionDuration applies on top). */
  roleDurationSeconds: { min: 900, max: 43_200 },
  /** Inline session policy, plain-text length (whitespace counted). */
  policy: { min: 1, max: 2048 },
  policyArns: { maxItems: 10 },
  policyArn: { min: 20, max: 2048 },
  tags: { maxItems: 50 },
  tagKey: { min: 1, max: 128 },
  tagValue: { min: 0, max: 256 },
  transitiveTagKeys: { maxItems: 50 },
  externalId: { min: 2, max: 1224 },
  sourceIdentity: { min: 2, max: 64 },
  serialNumber: { min: 9, max: 256 },
  tokenCode: { min: 6, max: 6 },
  webIdentityToken: { min: 4, max: 20_000 },
  /** Packed-policy allowance that packedPolicySize expresses as a percentage. */
  packedPolicyAllowance: 2048,
  /** Longest echoed value in an error message. */
  echoedValueMax: 64,
} as const;

// AWS patterns. Without the `u` flag `\w` is exactly [A-Za-z0-9_].
const NAME_PATTERN = '[\\w+=,.@-]*';
const NAME_RE = /^[\w+=,.@-]*$/;
const EXTERNAL_ID_PATTERN = '[\\w+=,.@:\\/-]*';
const EXTERNAL_ID_RE = /^[\w+=,.@:/-]*$/;
const SERIAL_NUMBER_PATTERN = '[\\w+=/:,.@-]*';
const SERIAL_NUMBER_RE = /^[\w+=/:,.@-]*$/;
const TOKEN_CODE_PATTERN = '[\\d]*';
const TOKEN_CODE_RE = /^[0-9]*$/;
const TAG_KEY_PATTERN = '[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+';
const TAG_VALUE_PATTERN = '[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*';
const TAG_RE = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
const POLICY_PATTERN = '[\\u0009\\u000A\\u000D\\u0020-\\u00FF]+';
const POLICY_RE = /^[\u0009\u000A\u000D\u0020-\u00FF]*$/;
const INTEGER_RE = /^-?[0-9]+$/;

// ---------------------------------------------------------------------------------------------
// Violation collection
// ---------------------------------------------------------------------------------------------

const REDACTED = '<redacted>';

/** A value as echoed in a message: control characters as "?", at most 64 characters. */
function echo(value: string): string {
  const s = value.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
  const max = STS_LIMITS.echoedValueMax;
  return s.length > max ? `${s.slice(0, max - 3)}...` : s;
}

function typeName(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

/** Collects AWS-style constraint violations (at most one per parameter) and throws them as one ValidationError. */
class Violations {
  private readonly items: string[] = [];

  add(value: string | null, at: string, constraint: string, redact = false): void {
    const shown = value === null ? 'null' : `'${redact ? REDACTED : echo(value)}'`;
    this.items.push(`Value ${shown} at '${at}' failed to satisfy constraint: ${constraint}`);
  }

  wrongType(value: unknown, at: string, expected: string): void {
    this.items.push(`Value of type ${typeName(value)} at '${at}' failed to satisfy constraint: Member must be ${expected}`);
  }

  get count(): number {
    return this.items.length;
  }

  throwIfAny(): void {
    const n = this.items.length;
    if (n === 0) return;
    throw DomainError.validation(`${n} validation error${n === 1 ? '' : 's'} detected: ${this.items.join('; ')}`);
  }
}

/** The request as an object: null/undefined is an empty request, anything else not an object is refused. */
function asRecord(raw: unknown): Record<string, unknown> {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw DomainError.validation('The request parameters must be an object of named parameters.');
  }
  return raw as Record<string, unknown>;
}

/** Own property only (never the prototype chain); null counts as absent. */
function field(obj: Record<string, unknown>, key: string): unknown {
  if (!Object.prototype.hasOwnProperty.call(obj, key)) return undefined;
  const v = obj[key];
  return v === null ? undefined : v;
}

interface StringSpec {
  min: number;
  max: number;
  re?: RegExp;
  pattern?: string;
  /** Never echo the value. */
  redact?: boolean;
}

/** Each string parameter's limits and pattern, built once (this runs on every issuance). */
const SPEC = {
  roleSessionName: { ...STS_LIMITS.roleSessionName, re: NAME_RE, pattern: NAME_PATTERN },
  federationName: { ...STS_LIMITS.federationName, re: NAME_RE, pattern: NAME_PATTERN },
  sourceIdentity: { ...STS_LIMITS.sourceIdentity, re: NAME_RE, pattern: NAME_PATTERN },
  policy: { ...STS_LIMITS.policy, re: POLICY_RE, pattern: POLICY_PATTERN, redact: true },
  tagKey: { ...STS_LIMITS.tagKey, re: TAG_RE, pattern: TAG_KEY_PATTERN },
  tagValue: { ...STS_LIMITS.tagValue, re: TAG_RE, pattern: TAG_VALUE_PATTERN },
  serialNumber: { ...STS_LIMITS.serialNumber, re: SERIAL_NUMBER_RE, pattern: SERIAL_NUMBER_PATTERN },
  tokenCode: { ...STS_LIMITS.tokenCode, re: TOKEN_CODE_RE, pattern: TOKEN_CODE_PATTERN, redact: true },
  externalId: { ...STS_LIMITS.externalId, re: EXTERNAL_ID_RE, pattern: EXTERNAL_ID_PATTERN },
  webIdentityToken: { ...STS_LIMITS.webIdentityToken, redact: true },
} as const satisfies Record<string, StringSpec>;

/** A string parameter: absent → undefined (or "must not be null" when required); returns undefined on a violation. */
function checkString(v: Violations, value: unknown, at: string, spec: StringSpec, required: boolean): string | undefined {
  if (value === undefined || value === null) {
    if (required) v.add(null, at, 'Member must not be null');
    return undefined;
  }
  if (typeof value !== 'string') {
    v.wrongType(value, at, 'a string');
    return undefined;
  }
  if (value.length < spec.min) {
    v.add(value, at, `Member must have length greater than or equal to ${spec.min}`, spec.redact);
    return undefined;
  }
  if (value.length > spec.max) {
    v.add(value, at, `Member must have length less than or equal to ${spec.max}`, spec.redact);
    return undefined;
  }
  if (spec.re && !spec.re.test(value)) {
    v.add(value, at, `Member must satisfy regular expression pattern: ${spec.pattern}`, spec.redact);
    return undefined;
  }
  return value;
}

/** DurationSeconds: an integer (number or decimal string) inside the operation's outer bounds. */
function checkDuration(v: Violations, value: unknown, bounds: { min: number; max: number }): number | undefined {
  if (value === undefined) return undefined;
  const at = 'durationSeconds';
  let n: number;
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) {
      v.add(String(value), at, 'Member must be an integer');
      return undefined;
    }
    n = value;
  } else if (typeof value === 'string') {
    if (!INTEGER_RE.test(value)) {
      v.add(value, at, 'Member must be an integer');
      return undefined;
    }
    n = Number(value);
  } else {
    v.wrongType(value, at, 'an integer');
    return undefined;
  }
  if (n < bounds.min) {
    v.add(String(value), at, `Member must have value greater than or equal to ${bounds.min}`);
    return undefined;
  }
  if (n > bounds.max) {
    v.add(String(value), at, `Member must have value less than or equal to ${bounds.max}`);
    return undefined;
  }
  return n;
}

/** A list parameter: absent → []; returns undefined on a violation (its members are then not checked). */
function checkList(v: Violations, value: unknown, at: string, maxItems: number): unknown[] | undefined {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    v.wrongType(value, at, 'a list');
    return undefined;
  }
  if (value.length > maxItems) {
    let shown: string;
    try {
      shown = JSON.stringify(value);
    } catch {
      shown = `[${value.length} items]`;
    }
    v.add(shown, at, `Member must have length less than or equal to ${maxItems}`);
    return undefined;
  }
  return value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// ---------------------------------------------------------------------------------------------
// Parameters
// ---------------------------------------------------------------------------------------------

function isRoleArn(arn: string): boolean {
  const p = parseArn(arn);
  return (
    p !== null &&
    p.partition === PARTITION &&
    p.service === 'iam' &&
    p.region === '' &&
    /^[0-9]{12}$/.test(p.accountId) &&
    p.resourceType === 'role' &&
    p.resource.startsWith('role/') &&
    !!p.resourceId &&
    !p.resourceId.endsWith('/')
  );
}

function isPolicyArn(arn: string): boolean {
  const p = parseArn(arn);
  return (
    p !== null &&
    p.partition === PARTITION &&
    p.service === 'iam' &&
    p.region === '' &&
    (p.accountId === 'aws' || /^[0-9]{12}$/.test(p.accountId)) &&
    p.resourceType === 'policy' &&
    p.resource.startsWith('policy/') &&
    !!p.resourceId &&
    !p.resourceId.endsWith('/')
  );
}

function checkRoleArn(v: Violations, raw: Record<string, unknown>): string | undefined {
  const arn = checkString(v, field(raw, 'RoleArn'), 'roleArn', STS_LIMITS.roleArn, true);
  if (arn !== undefined && !isRoleArn(arn)) {
    v.add(arn, 'roleArn', 'Member must be an IAM role ARN (arn:aws:iam::<12-digit account id>:role/<path><name>)');
    return undefined;
  }
  return arn;
}

function checkRoleSessionName(v: Violations, raw: Record<string, unknown>): string | undefined {
  return checkString(v, field(raw, 'RoleSessionName'), 'roleSessionName', SPEC.roleSessionName, true);
}

function checkPolicyText(v: Violations, raw: Record<string, unknown>): string | undefined {
  return checkString(v, field(raw, 'Policy'), 'policy', SPEC.policy, false);
}

function checkPolicyArns(v: Violations, raw: Record<string, unknown>): string[] | undefined {
  const items = checkList(v, field(raw, 'PolicyArns'), 'policyArns', STS_LIMITS.policyArns.maxItems);
  if (!items) return undefined;
  const out: string[] = [];
  let ok = true;
  items.forEach((item, i) => {
    const at = `policyArns.${i + 1}.member.arn`;
    let value: unknown;
    if (typeof item === 'string') value = item;
    else if (isObject(item)) value = field(item, 'arn');
    else {
      v.wrongType(item, `policyArns.${i + 1}.member`, 'an object with an arn (or an ARN string)');
      ok = false;
      return;
    }
    const arn = checkString(v, value, at, STS_LIMITS.policyArn, true);
    if (arn === undefined) {
      ok = false;
      return;
    }
    if (!isPolicyArn(arn)) {
      v.add(arn, at, 'Member must be an IAM policy ARN (arn:aws:iam::<12-digit account id or aws>:policy/<path><name>)');
      ok = false;
      return;
    }
    out.push(arn);
  });
  return ok ? out : undefined;
}

function checkTags(v: Violations, raw: Record<string, unknown>): SessionTag[] | undefined {
  const items = checkList(v, field(raw, 'Tags'), 'tags', STS_LIMITS.tags.maxItems);
  if (!items) return undefined;
  const out: SessionTag[] = [];
  let ok = true;
  items.forEach((item, i) => {
    const at = `tags.${i + 1}.member`;
    if (!isObject(item)) {
      v.wrongType(item, at, 'an object with Key and Value');
      ok = false;
      return;
    }
    const key = checkString(v, field(item, 'Key'), `${at}.key`, SPEC.tagKey, true);
    const value = checkString(v, field(item, 'Value'), `${at}.value`, SPEC.tagValue, true);
    if (key !== undefined && /^aws:/i.test(key)) {
      v.add(key, `${at}.key`, 'Member must not start with the reserved prefix aws:');
      ok = false;
      return;
    }
    if (key === undefined || value === undefined) {
      ok = false;
      return;
    }
    out.push({ Key: key, Value: value });
  });
  return ok ? out : undefined;
}

function checkTransitiveTagKeys(v: Violations, raw: Record<string, unknown>): string[] | undefined {
  const items = checkList(v, field(raw, 'TransitiveTagKeys'), 'transitiveTagKeys', STS_LIMITS.transitiveTagKeys.maxItems);
  if (!items) return undefined;
  const out: string[] = [];
  let ok = true;
  items.forEach((item, i) => {
    const key = checkString(v, item, `transitiveTagKeys.${i + 1}.member`, SPEC.tagKey, true);
    if (key === undefined) ok = false;
    else out.push(key);
  });
  return ok ? out : undefined;
}

function checkSourceIdentity(v: Violations, raw: Record<string, unknown>): string | undefined {
  const value = field(raw, 'SourceIdentity');
  if (typeof value === 'string' && /^aws:/i.test(value)) {
    v.add(value, 'sourceIdentity', 'Member must not start with the reserved prefix aws:');
    return undefined;
  }
  return checkString(v, value, 'sourceIdentity', SPEC.sourceIdentity, false);
}

function checkMfaParams(v: Violations, raw: Record<string, unknown>): { SerialNumber?: string; TokenCode?: string } {
  const SerialNumber = checkString(
    v,
    field(raw, 'SerialNumber'),
    'serialNumber',
    SPEC.serialNumber,
    false,
  );
  const TokenCode = checkString(v, field(raw, 'TokenCode'), 'tokenCode', SPEC.tokenCode, false);
  return { SerialNumber, TokenCode };
}

// ---------------------------------------------------------------------------------------------
// Cross-parameter rules (after every parameter is well-formed)
// ---------------------------------------------------------------------------------------------

function requireMfaPair(raw: Record<string, unknown>): void {
  const hasSerial = field(raw, 'SerialNumber') !== undefined;
  const hasCode = field(raw, 'TokenCode') !== undefined;
  if (hasSerial && !hasCode) throw DomainError.validation('TokenCode is required when SerialNumber is provided.');
  if (hasCode && !hasSerial) throw DomainError.validation('SerialNumber is required when TokenCode is provided.');
}

function requireUniqueTagKeys(tags: SessionTag[]): void {
  const seen = new Set<string>();
  for (const t of tags) {
    const k = t.Key.toLowerCase();
    if (seen.has(k)) throw DomainError.validation('Duplicate tag keys found. Please note that Tag keys are case insensitive.');
    seen.add(k);
  }
}

function requireTransitiveKeysTagged(transitive: string[], tags: SessionTag[]): void {
  const keys = new Set(tags.map((t) => t.Key.toLowerCase()));
  for (const k of transitive) {
    if (!keys.has(k.toLowerCase())) {
      throw DomainError.validation(`The transitive tag key '${echo(k)}' must be one of the keys in Tags.`);
    }
  }
}

/**
 * The parser's message without any text of the policy itself: no value excerpts, no unknown
 * element names, no condition operator names or keys.
 */
function policyErrorDetail(message: string): string {
  let m = message;
  const cond = m.indexOf('.Condition.');
  if (cond !== -1) return `${m.slice(0, cond)}.Condition has an unknown operator or a value of the wrong type for its operator`;
  const got = m.indexOf(', got ');
  if (got !== -1) m = m.slice(0, got);
  m = m.replace(/ has unknown element .*$/s, ' has an unknown element');
  m = m.replace(/ has unsupported principal type .*$/s, ' has an unsupported principal type');
  m = m.replace(/ must be unique; .*$/s, ' must be unique');
  return m;
}

/**
 * Parses an inline session policy (identity-policy grammar: Resource required, no Principal or
 * NotPrincipal). Throws MalformedPolicyDocument, whose message never contains policy text.
 */
export function parseSessionPolicy(text: string): PolicyDocument {
  try {
    return parsePolicyDocument(text, { kind: 'identity' });
  } catch (e) {
    if (!(e instanceof PolicyValidationError)) throw e;
    if (/not valid JSON|must be a JSON object|is empty/.test(e.message)) {
      throw new DomainError(ErrorCode.MalformedPolicyDocument, 'The policy is not in the valid JSON format.');
    }
    if (/(Principal|NotPrincipal) is not allowed/.test(e.message)) {
      throw new DomainError(ErrorCode.MalformedPolicyDocument, 'Session policies must not specify a Principal or NotPrincipal.');
    }
    throw new DomainError(ErrorCode.MalformedPolicyDocument, `Syntax errors in policy: ${policyErrorDetail(e.message).replace(/\.$/, '')}.`);
  }
}

/** Parsed session policy documents for evaluation (Policy parsed with parsePolicyDocument → MalformedPolicyDocument on failure). [] without a Policy. */
export function sessionPolicyDocuments(input: { Policy?: string }): PolicyDocument[] {
  return input.Policy === undefined ? [] : [parseSessionPolicy(input.Policy)];
}

// ---------------------------------------------------------------------------------------------
// Operations
// ---------------------------------------------------------------------------------------------

export function parseGetSessionTokenInput(raw: unknown): GetSessionTokenInput {
  const r = asRecord(raw);
  const v = new Violations();
  const DurationSeconds = checkDuration(v, field(r, 'DurationSeconds'), STS_LIMITS.durationSeconds);
  const mfa = checkMfaParams(v, r);
  v.throwIfAny();
  requireMfaPair(r);
  return {
    ...(DurationSeconds !== undefined ? { DurationSeconds } : {}),
    ...(mfa.SerialNumber !== undefined ? { SerialNumber: mfa.SerialNumber, TokenCode: mfa.TokenCode } : {}),
  };
}

export function parseAssumeRoleInput(raw: unknown): AssumeRoleInput {
  const r = asRecord(raw);
  const v = new Violations();
  const RoleArn = checkRoleArn(v, r);
  const RoleSessionName = checkRoleSessionName(v, r);
  const DurationSeconds = checkDuration(v, field(r, 'DurationSeconds'), STS_LIMITS.roleDurationSeconds);
  const Policy = checkPolicyText(v, r);
  const PolicyArns = checkPolicyArns(v, r);
  const Tags = checkTags(v, r);
  const TransitiveTagKeys = checkTransitiveTagKeys(v, r);
  const ExternalId = checkString(v, field(r, 'ExternalId'), 'externalId', SPEC.externalId, false);
  const SourceIdentity = checkSourceIdentity(v, r);
  const mfa = checkMfaParams(v, r);
  v.throwIfAny();
  requireUniqueTagKeys(Tags!);
  requireTransitiveKeysTagged(TransitiveTagKeys!, Tags!);
  requireMfaPair(r);
  if (Policy !== undefined) parseSessionPolicy(Policy);
  // Optional members set one by one (conditional spreads cost more than the checks above).
  const out: AssumeRoleInput = { RoleArn: RoleArn!, RoleSessionName: RoleSessionName!, PolicyArns: PolicyArns!, Tags: Tags!, TransitiveTagKeys: TransitiveTagKeys! };
  if (DurationSeconds !== undefined) out.DurationSeconds = DurationSeconds;
  if (Policy !== undefined) out.Policy = Policy;
  if (ExternalId !== undefined) out.ExternalId = ExternalId;
  if (SourceIdentity !== undefined) out.SourceIdentity = SourceIdentity;
  if (mfa.SerialNumber !== undefined) {
    out.SerialNumber = mfa.SerialNumber;
    out.TokenCode = mfa.TokenCode;
  }
  return out;
}

export function parseGetFederationTokenInput(raw: unknown): GetFederationTokenInput {
  const r = asRecord(raw);
  const v = new Violations();
  const Name = checkString(v, field(r, 'Name'), 'name', SPEC.federationName, true);
  const DurationSeconds = checkDuration(v, field(r, 'DurationSeconds'), STS_LIMITS.durationSeconds);
  const Policy = checkPolicyText(v, r);
  const PolicyArns = checkPolicyArns(v, r);
  const Tags = checkTags(v, r);
  v.throwIfAny();
  requireUniqueTagKeys(Tags!);
  if (Policy !== undefined) parseSessionPolicy(Policy);
  return {
    Name: Name!,
    ...(DurationSeconds !== undefined ? { DurationSeconds } : {}),
    ...(Policy !== undefined ? { Policy } : {}),
    PolicyArns: PolicyArns!,
    Tags: Tags!,
  };
}

export function parseAssumeRoleWithWebIdentityInput(raw: unknown): AssumeRoleWithWebIdentityInput {
  const r = asRecord(raw);
  const v = new Violations();
  const RoleArn = checkRoleArn(v, r);
  const RoleSessionName = checkRoleSessionName(v, r);
  const WebIdentityToken = checkString(v, field(r, 'WebIdentityToken'), 'webIdentityToken', SPEC.webIdentityToken, true);
  const DurationSeconds = checkDuration(v, field(r, 'DurationSeconds'), STS_LIMITS.roleDurationSeconds);
  const Policy = checkPolicyText(v, r);
  const PolicyArns = checkPolicyArns(v, r);
  v.throwIfAny();
  if (Policy !== undefined) parseSessionPolicy(Policy);
  return {
    RoleArn: RoleArn!,
    RoleSessionName: RoleSessionName!,
    WebIdentityToken: WebIdentityToken!,
    ...(DurationSeconds !== undefined ? { DurationSeconds } : {}),
    ...(Policy !== undefined ? { Policy } : {}),
    PolicyArns: PolicyArns!,
  };
}

// ---------------------------------------------------------------------------------------------
// Duration and packed size
// ---------------------------------------------------------------------------------------------

/**
 * Picks the duration: default when absent, ValidationError outside [min, max] with AWS's wording
 * (for a role: "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.").
 * Without `maxReason` the message is the constraint form ("Member must have value less than or equal to <max>").
 * A default above `max` is capped at `max`.
 */
/** A value that may be a session tag's value (AWS's characters and length): for tags that come from token claims. */
export function isSessionTagValue(value: string): boolean {
  return value.length <= STS_LIMITS.tagValue.max && TAG_RE.test(value);
}

/** A value that may be a source identity (AWS's characters and length, no reserved prefix). */
export function isSourceIdentity(value: string): boolean {
  return value.length >= STS_LIMITS.sourceIdentity.min && value.length <= STS_LIMITS.sourceIdentity.max && NAME_RE.test(value) && !/^aws:/i.test(value);
}

export function resolveDuration(requested: number | undefined, bounds: { min: number; max: number; default: number; maxReason?: string }): number {
  if (requested === undefined) return Math.min(bounds.default, bounds.max);
  const v = new Violations();
  if (!Number.isInteger(requested)) v.add(String(requested), 'durationSeconds', 'Member must be an integer');
  else if (requested < bounds.min) v.add(String(requested), 'durationSeconds', `Member must have value greater than or equal to ${bounds.min}`);
  else if (requested > bounds.max) {
    if (bounds.maxReason) throw DomainError.validation(bounds.maxReason);
    v.add(String(requested), 'durationSeconds', `Member must have value less than or equal to ${bounds.max}`);
  }
  v.throwIfAny();
  return requested;
}

/** Length of the session policy JSON re-serialized without whitespace (whitespace-stripped text if it is not JSON). */
function compactPolicyLength(policy: string): number {
  try {
    return JSON.stringify(JSON.parse(policy)).length;
  } catch {
    return policyDocumentSize(policy);
  }
}

/**
 * AWS's PackedPolicySize: percentage (integer, rounded up) of the packed-policy allowance used by
 * the session policy, policy ARNs and session tags; throws PackedPolicyTooLarge over 100.
 *
 * This is an approximation: AWS packs these into a compressed binary form whose size is not
 * documented. Here the cost is the length of the policy JSON re-serialized without whitespace,
 * plus the length of each policy ARN, plus each tag's key and value lengths, against an
 * allowance of 2048 characters: ceil(100 × total / 2048). No policy, ARNs or tags → 0.
 */
export function packedPolicySize(input: { Policy?: string; PolicyArns: string[]; Tags?: SessionTag[] }): number {
  let total = 0;
  if (input.Policy !== undefined && input.Policy !== '') total += compactPolicyLength(input.Policy);
  for (const arn of input.PolicyArns ?? []) total += arn.length;
  for (const t of input.Tags ?? []) total += t.Key.length + t.Value.length;
  const percent = Math.ceil((100 * total) / STS_LIMITS.packedPolicyAllowance);
  if (percent > 100) {
    throw new DomainError(ErrorCode.PackedPolicyTooLarge, `Packed policy consumes ${percent}% of allotted space, please use smaller policy for this operation.`);
  }
  return percent;
}
