/**
 * IAM-style policy documents: types, strict validation and normalisation.
 *
 * Pure module (no framework imports, no I/O). `parsePolicyDocument` turns user-supplied JSON (a
 * string, or an already-parsed value) into a normalised, deeply frozen `PolicyDocument`:
 *
 * - `Statement` is always an array; `Action`/`NotAction`/`Resource`/`NotResource` and Principal
 *   values are always string arrays;
 * - Condition values are always non-empty string arrays (booleans and numbers are stringified;
 *   `Bool`/`Null` values are lower-cased to "true"/"false");
 * - a missing `Version` becomes "2008-10-17" (what AWS does; policy variables are then NOT
 *   substituted, they are literal text).
 *
 * Anything malformed throws `PolicyValidationError`, whose message names the offending element
 * (e.g. `Statement[1].Condition.StringEqulas`) and never echoes more than a short excerpt of input.
 *
 * The small value parsers at the bottom (numbers, dates, IP/CIDR, booleans) are shared with the
 * evaluator so that what the parser accepts is exactly what the evaluator understands.
 */

export type PolicyVersion = '2012-10-17' | '2008-10-17';
export const POLICY_VERSIONS: readonly PolicyVersion[] = ['2012-10-17', '2008-10-17'];
export const DEFAULT_POLICY_VERSION: PolicyVersion = '2008-10-17';

/** 'identity': identity/session policies (Resource required, no Principal). 'trust': role trust / resource-based policies. */
export type PolicyKind = 'identity' | 'trust';
export type PolicyEffect = 'Allow' | 'Deny';
export type PrincipalType = 'AWS' | 'Federated' | 'Service';
export const PRINCIPAL_TYPES: readonly PrincipalType[] = ['AWS', 'Federated', 'Service'];

/** Normalised Principal / NotPrincipal: "*" or a map of principal type → non-empty list of ids. */
export type PolicyPrincipal = '*' | { readonly AWS?: readonly string[]; readonly Federated?: readonly string[]; readonly Service?: readonly string[] };

/** operator (e.g. "StringEqualsIgnoreCase", "ForAnyValue:StringLike") → condition key → values (OR). */
export type PolicyConditionBlock = Readonly<Record<string, Readonly<Record<string, readonly string[]>>>>;

export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: PolicyEffect;
  readonly Action?: readonly string[];
  readonly NotAction?: readonly string[];
  readonly Resource?: readonly string[];
  readonly NotResource?: readonly string[];
  readonly Principal?: PolicyPrincipal;
  readonly NotPrincipal?: PolicyPrincipal;
  readonly Condition?: PolicyConditionBlock;
}

export interface PolicyDocument {
  readonly Version: PolicyVersion;
  readonly Id?: string;
  readonly Statement: readonly PolicyStatement[];
}

export interface ParsePolicyOptions {
  /** Default 'identity'. */
  kind?: PolicyKind;
  /** Optional size limit, counted like AWS (see `policyDocumentSize`). */
  maxSize?: number;
}

export class PolicyValidationError extends Error {
  override name = 'PolicyValidationError';
  constructor(message: string) {
    super(message);
  }
}

// ---------------------------------------------------------------------------------------------
// Condition operators
// ---------------------------------------------------------------------------------------------

export const CONDITION_OPERATORS = [
  'StringEquals',
  'StringNotEquals',
  'StringEqualsIgnoreCase',
  'StringNotEqualsIgnoreCase',
  'StringLike',
  'StringNotLike',
  'ArnEquals',
  'ArnNotEquals',
  'ArnLike',
  'ArnNotLike',
  'Bool',
  'NumericEquals',
  'NumericNotEquals',
  'NumericLessThan',
  'NumericLessThanEquals',
  'NumericGreaterThan',
  'NumericGreaterThanEquals',
  'DateEquals',
  'DateNotEquals',
  'DateLessThan',
  'DateLessThanEquals',
  'DateGreaterThan',
  'DateGreaterThanEquals',
  'IpAddress',
  'NotIpAddress',
  'Null',
] as const;
export type ConditionOperatorName = (typeof CONDITION_OPERATORS)[number];
export type SetQualifier = 'ForAnyValue' | 'ForAllValues';

export interface ParsedConditionOperator {
  /** The base operator, without qualifier or IfExists suffix. */
  readonly name: ConditionOperatorName;
  readonly qualifier?: SetQualifier;
  readonly ifExists: boolean;
  /** StringNotEquals, ArnNotLike, NumericNotEquals, DateNotEquals, NotIpAddress, ... */
  readonly negated: boolean;
}

const OPERATOR_SET: ReadonlySet<string> = new Set(CONDITION_OPERATORS);
const NEGATED_OPERATORS: ReadonlySet<ConditionOperatorName> = new Set<ConditionOperatorName>([
  'StringNotEquals',
  'StringNotEqualsIgnoreCase',
  'StringNotLike',
  'ArnNotEquals',
  'ArnNotLike',
  'NumericNotEquals',
  'DateNotEquals',
  'NotIpAddress',
]);

/**
 * Parses "ForAllValues:StringLikeIfExists" etc. Operator names are case-sensitive (as in AWS).
 * Returns undefined for unknown operators and for combinations that make no sense
 * (`NullIfExists`, `ForAnyValue:Null`).
 */
export function parseConditionOperator(op: string): ParsedConditionOperator | undefined {
  if (typeof op !== 'string') return undefined;
  let rest = op;
  let qualifier: SetQualifier | undefined;
  if (rest.startsWith('ForAnyValue:')) {
    qualifier = 'ForAnyValue';
    rest = rest.slice('ForAnyValue:'.length);
  } else if (rest.startsWith('ForAllValues:')) {
    qualifier = 'ForAllValues';
    rest = rest.slice('ForAllValues:'.length);
  }
  let ifExists = false;
  if (rest.endsWith('IfExists') && rest.length > 'IfExists'.length) {
    ifExists = true;
    rest = rest.slice(0, -'IfExists'.length);
  }
  if (!OPERATOR_SET.has(rest)) return undefined;
  const name = rest as ConditionOperatorName;
  if (name === 'Null' && (ifExists || qualifier)) return undefined;
  return { name, qualifier, ifExists, negated: NEGATED_OPERATORS.has(name) };
}

// ---------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------

/** Hard cap on string input, whatever maxSize says (protects JSON.parse and error paths). */
const MAX_INPUT_CHARS = 1_000_000;

const TOP_LEVEL_KEYS: ReadonlySet<string> = new Set(['Version', 'Id', 'Statement']);
const STATEMENT_KEYS: ReadonlySet<string> = new Set([
  'Sid',
  'Effect',
  'Action',
  'NotAction',
  'Resource',
  'NotResource',
  'Principal',
  'NotPrincipal',
  'Condition',
]);

/** "*" or "service:ActionName" (service prefix without wildcards; action may use * and ?). */
const ACTION_RE = /^[A-Za-z0-9][A-Za-z0-9-]*:[A-Za-z0-9*?]+$/;
const ACCOUNT_ID_RE = /^[0-9]{12}$/;

/** Short, safe excerpt of a value for error messages. */
function excerpt(value: unknown): string {
  let s: string;
  try {
    s = typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  } catch {
    s = Object.prototype.toString.call(value);
  }
  return s.length > 48 ? `${s.slice(0, 45)}...` : s;
}

function fail(message: string): never {
  throw new PolicyValidationError(message);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function has(obj: Record<string, unknown>, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(obj, key);
}

/** string | non-empty string[] → string[], each element checked by `check`. */
function stringList(value: unknown, path: string, check: (s: string, p: string) => void): string[] {
  const items = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(items)) fail(`${path} must be a string or an array of strings`);
  if (items.length === 0) fail(`${path} must not be empty`);
  const out: string[] = [];
  items.forEach((item, i) => {
    const p = typeof value === 'string' ? path : `${path}[${i}]`;
    if (typeof item !== 'string') fail(`${p} must be a string, got ${excerpt(item)}`);
    check(item, p);
    out.push(item);
  });
  return out;
}

function checkAction(s: string, p: string): void {
  if (s !== '*' && !ACTION_RE.test(s)) {
    fail(`${p} must be "*" or of the form "service:Action" (wildcards only in the action name), got ${excerpt(s)}`);
  }
}

function checkResource(s: string, p: string): void {
  if (s === '*') return;
  if (!s.startsWith('arn:') || s.length < 5) fail(`${p} must be "*" or an ARN, got ${excerpt(s)}`);
}

function parsePrincipal(value: unknown, path: string): PolicyPrincipal {
  if (value === '*') return '*';
  if (typeof value === 'string') fail(`${path} must be "*" or an object with AWS, Federated or Service, got ${excerpt(value)}`);
  if (!isPlainObject(value)) fail(`${path} must be "*" or an object with AWS, Federated or Service`);
  const keys = Object.keys(value);
  if (keys.length === 0) fail(`${path} must not be empty`);
  const out: { AWS?: string[]; Federated?: string[]; Service?: string[] } = {};
  for (const key of keys) {
    if (!(PRINCIPAL_TYPES as readonly string[]).includes(key)) {
      fail(`${path} has unsupported principal type ${excerpt(key)} (expected AWS, Federated or Service)`);
    }
    const type = key as PrincipalType;
    out[type] = stringList(value[key], `${path}.${type}`, (s, p) => {
      if (s.length === 0) fail(`${p} must not be empty`);
      if (/\s/.test(s)) fail(`${p} must not contain whitespace, got ${excerpt(s)}`);
      if (type === 'AWS') {
        if (s === '*' || ACCOUNT_ID_RE.test(s)) return;
        if (!s.startsWith('arn:') || s.split(':').length < 6) {
          fail(`${p} must be "*", a 12-digit account id or an ARN, got ${excerpt(s)}`);
        }
      }
      if (s.includes('*') || s.includes('?')) fail(`${p} must not contain wildcards, got ${excerpt(s)}`);
    });
  }
  return out;
}

function checkConditionValue(op: ParsedConditionOperator, s: string, p: string): void {
  switch (op.name) {
    case 'Bool':
    case 'Null':
      if (parseBoolValue(s) === undefined) fail(`${p} must be "true" or "false" for ${op.name}, got ${excerpt(s)}`);
      return;
    case 'NumericEquals':
    case 'NumericNotEquals':
    case 'NumericLessThan':
    case 'NumericLessThanEquals':
    case 'NumericGreaterThan':
    case 'NumericGreaterThanEquals':
      if (parseNumberValue(s) === undefined) fail(`${p} must be a number for ${op.name}, got ${excerpt(s)}`);
      return;
    case 'DateEquals':
    case 'DateNotEquals':
    case 'DateLessThan':
    case 'DateLessThanEquals':
    case 'DateGreaterThan':
    case 'DateGreaterThanEquals':
      if (parseDateValue(s) === undefined) {
        fail(`${p} must be an ISO 8601 date or epoch seconds for ${op.name}, got ${excerpt(s)}`);
      }
      return;
    case 'IpAddress':
    case 'NotIpAddress':
      if (parseCidr(s) === undefined) fail(`${p} must be an IPv4/IPv6 address or CIDR for ${op.name}, got ${excerpt(s)}`);
      return;
    default:
      return;
  }
}

function parseCondition(value: unknown, path: string): PolicyConditionBlock {
  if (!isPlainObject(value)) fail(`${path} must be an object of condition operators`);
  const opNames = Object.keys(value);
  if (opNames.length === 0) fail(`${path} must not be empty`);
  // Null-prototype objects: condition keys are user-chosen (e.g. "__proto__" must stay a plain key).
  const out: Record<string, Record<string, readonly string[]>> = Object.create(null);
  for (const opName of opNames) {
    const opPath = `${path}.${opName.length > 64 ? `${opName.slice(0, 61)}...` : opName}`;
    const op = parseConditionOperator(opName);
    if (!op) fail(`${opPath}: unknown or unsupported condition operator`);
    const block = value[opName];
    if (!isPlainObject(block)) fail(`${opPath} must be an object of condition keys to values`);
    const keys = Object.keys(block);
    if (keys.length === 0) fail(`${opPath} must not be empty`);
    const entries: Record<string, readonly string[]> = Object.create(null);
    for (const key of keys) {
      const keyPath = `${opPath}.${key.length > 64 ? `${key.slice(0, 61)}...` : key}`;
      if (key.length === 0 || key.trim() !== key) fail(`${opPath} has an empty or padded condition key`);
      if (key.length > 256) fail(`${keyPath}: condition key is too long`);
      const raw = block[key];
      const items = Array.isArray(raw) ? raw : [raw];
      if (items.length === 0) fail(`${keyPath} must not be an empty array`);
      const values: string[] = [];
      items.forEach((item, i) => {
        const p = Array.isArray(raw) ? `${keyPath}[${i}]` : keyPath;
        let s: string;
        if (typeof item === 'string') s = item;
        else if (typeof item === 'boolean') s = item ? 'true' : 'false';
        else if (typeof item === 'number' && Number.isFinite(item)) s = String(item);
        else fail(`${p} must be a string, number or boolean, got ${excerpt(item)}`);
        checkConditionValue(op, s, p);
        if (op.name === 'Bool' || op.name === 'Null') s = s.toLowerCase();
        values.push(s);
      });
      entries[key] = values;
    }
    out[opName] = entries;
  }
  return out;
}

function parseStatement(raw: unknown, path: string, kind: PolicyKind): PolicyStatement {
  if (!isPlainObject(raw)) fail(`${path} must be an object`);
  for (const key of Object.keys(raw)) {
    if (!STATEMENT_KEYS.has(key)) fail(`${path} has unknown element ${excerpt(key)}`);
  }
  const st: {
    Sid?: string;
    Effect?: PolicyEffect;
    Action?: string[];
    NotAction?: string[];
    Resource?: string[];
    NotResource?: string[];
    Principal?: PolicyPrincipal;
    NotPrincipal?: PolicyPrincipal;
    Condition?: PolicyConditionBlock;
  } = {};

  if (has(raw, 'Sid')) {
    if (typeof raw.Sid !== 'string') fail(`${path}.Sid must be a string`);
    if (raw.Sid.length > 256) fail(`${path}.Sid is too long`);
    st.Sid = raw.Sid;
  }

  if (!has(raw, 'Effect')) fail(`${path}.Effect is required`);
  if (raw.Effect !== 'Allow' && raw.Effect !== 'Deny') fail(`${path}.Effect must be "Allow" or "Deny", got ${excerpt(raw.Effect)}`);
  st.Effect = raw.Effect;

  const hasAction = has(raw, 'Action');
  const hasNotAction = has(raw, 'NotAction');
  if (hasAction && hasNotAction) fail(`${path} must not contain both Action and NotAction`);
  if (!hasAction && !hasNotAction) fail(`${path} must contain Action or NotAction`);
  if (hasAction) st.Action = stringList(raw.Action, `${path}.Action`, checkAction);
  else st.NotAction = stringList(raw.NotAction, `${path}.NotAction`, checkAction);

  const hasResource = has(raw, 'Resource');
  const hasNotResource = has(raw, 'NotResource');
  if (hasResource && hasNotResource) fail(`${path} must not contain both Resource and NotResource`);
  if (!hasResource && !hasNotResource && kind === 'identity') fail(`${path} must contain Resource or NotResource`);
  if (hasResource) st.Resource = stringList(raw.Resource, `${path}.Resource`, checkResource);
  if (hasNotResource) st.NotResource = stringList(raw.NotResource, `${path}.NotResource`, checkResource);

  const hasPrincipal = has(raw, 'Principal');
  const hasNotPrincipal = has(raw, 'NotPrincipal');
  if (kind === 'identity') {
    if (hasPrincipal || hasNotPrincipal) {
      fail(`${path}: ${hasPrincipal ? 'Principal' : 'NotPrincipal'} is not allowed in an identity-based policy`);
    }
  } else {
    if (hasPrincipal && hasNotPrincipal) fail(`${path} must not contain both Principal and NotPrincipal`);
    if (!hasPrincipal && !hasNotPrincipal) fail(`${path} must contain Principal or NotPrincipal`);
    if (hasPrincipal) st.Principal = parsePrincipal(raw.Principal, `${path}.Principal`);
    else {
      // AWS does not support NotPrincipal with Allow in trust policies (it would grant almost everyone).
      if (st.Effect === 'Allow') fail(`${path}: NotPrincipal is only supported with "Effect": "Deny"`);
      st.NotPrincipal = parsePrincipal(raw.NotPrincipal, `${path}.NotPrincipal`);
    }
  }

  if (has(raw, 'Condition')) st.Condition = parseCondition(raw.Condition, `${path}.Condition`);

  return st as PolicyStatement;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}

/**
 * Validates and normalises a policy document (JSON text, or an already-parsed value).
 * Throws PolicyValidationError on anything malformed. The result is deeply frozen.
 */
export function parsePolicyDocument(input: string | unknown, opts: ParsePolicyOptions = {}): PolicyDocument {
  const kind: PolicyKind = opts.kind ?? 'identity';
  if (kind !== 'identity' && kind !== 'trust') fail('Unknown policy kind');

  let raw: unknown;
  if (typeof input === 'string') {
    if (input.length > MAX_INPUT_CHARS) fail('Policy document is too large');
    if (opts.maxSize !== undefined && policyDocumentSize(input) > opts.maxSize) {
      fail(`Policy document exceeds the maximum size of ${opts.maxSize} characters`);
    }
    const text = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
    if (text.trim() === '') fail('Policy document is empty');
    try {
      raw = JSON.parse(text);
    } catch {
      fail('Policy document is not valid JSON');
    }
  } else {
    raw = input;
    if (opts.maxSize !== undefined) {
      let json: string | undefined;
      try {
        json = JSON.stringify(input);
      } catch {
        fail('Policy document is not JSON-serialisable');
      }
      if (json !== undefined && json.length > opts.maxSize) {
        fail(`Policy document exceeds the maximum size of ${opts.maxSize} characters`);
      }
    }
  }

  if (!isPlainObject(raw)) fail('Policy document must be a JSON object');
  for (const key of Object.keys(raw)) {
    if (!TOP_LEVEL_KEYS.has(key)) fail(`Policy document has unknown element ${excerpt(key)}`);
  }

  let version: PolicyVersion = DEFAULT_POLICY_VERSION;
  if (has(raw, 'Version')) {
    if (raw.Version !== '2012-10-17' && raw.Version !== '2008-10-17') {
      fail(`Version must be "2012-10-17" or "2008-10-17", got ${excerpt(raw.Version)}`);
    }
    version = raw.Version;
  }

  let id: string | undefined;
  if (has(raw, 'Id')) {
    if (typeof raw.Id !== 'string') fail('Id must be a string');
    if (raw.Id.length > 256) fail('Id is too long');
    id = raw.Id;
  }

  if (!has(raw, 'Statement')) fail('Statement is required');
  const rawStatements = Array.isArray(raw.Statement) ? raw.Statement : [raw.Statement];
  if (rawStatements.length === 0) fail('Statement must not be empty');
  const single = !Array.isArray(raw.Statement);
  const statements = rawStatements.map((s, i) => parseStatement(s, single ? 'Statement' : `Statement[${i}]`, kind));

  const sids = new Set<string>();
  for (const st of statements) {
    if (st.Sid === undefined || st.Sid === '') continue;
    if (sids.has(st.Sid)) fail(`Statement ids (Sid) must be unique; ${excerpt(st.Sid)} is repeated`);
    sids.add(st.Sid);
  }

  const doc: { Version: PolicyVersion; Id?: string; Statement: PolicyStatement[] } = { Version: version, Statement: statements };
  if (id !== undefined) doc.Id = id;
  return deepFreeze(doc);
}

/**
 * Size of a policy as AWS counts it: the JSON text with whitespace outside string literals removed.
 * (Does not validate the JSON.)
 */
export function policyDocumentSize(json: string): number {
  let size = 0;
  let inString = false;
  let escaped = false;
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (inString) {
      size++;
      if (escaped) escaped = false;
      else if (c === 0x5c /* \ */) escaped = true;
      else if (c === 0x22 /* " */) inString = false;
      continue;
    }
    if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) continue;
    if (c === 0x22) inString = true;
    size++;
  }
  return size;
}

// ---------------------------------------------------------------------------------------------
// Value parsers shared with the evaluator
// ---------------------------------------------------------------------------------------------

/** true/false, or "true"/"false" in any case. */
export function parseBoolValue(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') {
    const l = v.toLowerCase();
    if (l === 'true') return true;
    if (l === 'false') return false;
  }
  return undefined;
}

const NUMBER_RE = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/** A finite number, or a decimal numeric string (no hex, no empty string, no whitespace). */
export function parseNumberValue(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string' && v.length <= 64 && NUMBER_RE.test(v)) {
    const n = Number(v);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

const EPOCH_RE = /^\d{1,12}(?:\.\d+)?$/;
const ISO_DATE_RE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?([Zz]|[+-]\d{2}(?::?\d{2})?)?$/;

/**
 * Milliseconds since the epoch, from epoch seconds (number or digit string) or an ISO 8601
 * date / date-time. A date-time without a zone is taken as UTC.
 */
export function parseDateValue(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v * 1000 : undefined;
  if (typeof v !== 'string' || v.length > 64) return undefined;
  if (EPOCH_RE.test(v)) return Number(v) * 1000;
  const m = ISO_DATE_RE.exec(v);
  if (!m) return undefined;
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', zone = 'Z'] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) return undefined;
  const ms = frac ? Math.floor(Number(`0.${frac}`) * 1000) : 0;
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second, ms));
  date.setUTCFullYear(year); // Date.UTC maps years 0-99 to 1900-1999
  if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return undefined; // e.g. Feb 30
  let offsetMinutes = 0;
  if (zone !== 'Z' && zone !== 'z') {
    const sign = zone[0] === '-' ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    const oh = Number(digits.slice(0, 2));
    const om = digits.length > 2 ? Number(digits.slice(2)) : 0;
    if (oh > 23 || om > 59) return undefined;
    offsetMinutes = sign * (oh * 60 + om);
  }
  return date.getTime() - offsetMinutes * 60_000;
}

export interface IpAddressValue {
  readonly v6: boolean;
  readonly value: bigint;
}

export interface CidrValue {
  readonly v6: boolean;
  readonly network: bigint;
  readonly mask: bigint;
  readonly prefix: number;
}

const IPV4_RE = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const HEX_GROUP_RE = /^[0-9A-Fa-f]{1,4}$/;

function parseIpv4(s: string): bigint | undefined {
  const m = IPV4_RE.exec(s);
  if (!m) return undefined;
  let out = 0n;
  for (let i = 1; i <= 4; i++) {
    const part = m[i]!;
    if (part.length > 1 && part[0] === '0') return undefined; // no octal-looking octets
    const n = Number(part);
    if (n > 255) return undefined;
    out = (out << 8n) | BigInt(n);
  }
  return out;
}

function parseIpv6(s: string): bigint | undefined {
  if (s.length > 45 || s.length < 2) return undefined;
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const parseGroups = (part: string, allowV4Tail: boolean): bigint[] | undefined => {
    if (part === '') return [];
    const groups = part.split(':');
    const out: bigint[] = [];
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i]!;
      if (allowV4Tail && i === groups.length - 1 && g.includes('.')) {
        const v4 = parseIpv4(g);
        if (v4 === undefined) return undefined;
        out.push(v4 >> 16n, v4 & 0xffffn);
      } else if (HEX_GROUP_RE.test(g)) {
        out.push(BigInt(`0x${g}`));
      } else {
        return undefined;
      }
    }
    return out;
  };
  let groups: bigint[];
  if (halves.length === 1) {
    const g = parseGroups(halves[0]!, true);
    if (!g || g.length !== 8) return undefined;
    groups = g;
  } else {
    const head = parseGroups(halves[0]!, false);
    const tail = parseGroups(halves[1]!, true);
    if (!head || !tail || head.length + tail.length > 7) return undefined;
    groups = [...head, ...new Array<bigint>(8 - head.length - tail.length).fill(0n), ...tail];
  }
  let out = 0n;
  for (const g of groups) out = (out << 16n) | g;
  return out;
}

/** An IPv4 (dotted quad) or IPv6 address; undefined if malformed. */
export function parseIpAddress(s: unknown): IpAddressValue | undefined {
  if (typeof s !== 'string') return undefined;
  if (s.includes(':')) {
    const value = parseIpv6(s);
    return value === undefined ? undefined : { v6: true, value };
  }
  const value = parseIpv4(s);
  return value === undefined ? undefined : { v6: false, value };
}

/** "a.b.c.d/n", "x::y/n", or a bare address (= /32 or /128). Host bits are masked off. */
export function parseCidr(s: unknown): CidrValue | undefined {
  if (typeof s !== 'string') return undefined;
  const slash = s.indexOf('/');
  const ip = parseIpAddress(slash === -1 ? s : s.slice(0, slash));
  if (!ip) return undefined;
  const bits = ip.v6 ? 128 : 32;
  let prefix = bits;
  if (slash !== -1) {
    const p = s.slice(slash + 1);
    if (!/^\d{1,3}$/.test(p)) return undefined;
    prefix = Number(p);
    if (prefix > bits) return undefined;
  }
  const all = (1n << BigInt(bits)) - 1n;
  const mask = all ^ ((1n << BigInt(bits - prefix)) - 1n);
  return { v6: ip.v6, network: ip.value & mask, mask, prefix };
}

/** Whether `ip` is inside `cidr`. IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) also match IPv4 ranges. */
export function cidrContains(cidr: CidrValue, ip: IpAddressValue): boolean {
  if (cidr.v6 === ip.v6) return (ip.value & cidr.mask) === cidr.network;
  if (!cidr.v6 && ip.v6 && ip.value >> 32n === 0xffffn) return (ip.value & 0xffffffffn & cidr.mask) === cidr.network;
  return false;
}
