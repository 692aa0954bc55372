/**
 * IAM-style policy evaluation. Pure (no framework imports, no I/O) and allocation-light: each
 * policy document is compiled once (cached in a WeakMap keyed by the document object, so treat
 * documents as immutable — `parsePolicyDocument` returns frozen ones) and wildcard patterns are
 * turned into RegExps through a small size-capped LRU cache.
 *
 * Semantics follow AWS IAM:
 * - explicit Deny wins, then any Allow, else implicit deny;
 * - Action matching is case-insensitive; Resource matching is case-sensitive; `*` and `?` wildcards.
 *   In ARN patterns a wildcard stays inside its colon-delimited segment, except that a `*` which
 *   ends a segment may expand across colons (AWS's documented rule), e.g. `arn:aws:s3:::*`;
 * - policy variables (`${aws:username}`, any `${key}` from ctx.keys, `${key, 'default'}`, and the
 *   `${*}` `${?}` `${$}` escapes) are substituted in Resource/NotResource and in String and Arn
 *   condition values, only in "2012-10-17" policies. A variable that cannot be resolved (key
 *   missing, or multi-valued) makes that Resource / condition value not match;
 * - several values for one key are ORed (NOR for negated operators); several keys and operators
 *   in a Condition block are ANDed; condition keys are case-insensitive;
 * - a missing key: positive operators → false, negated operators → true, `...IfExists` → true,
 *   `ForAllValues:` → true, `ForAnyValue:` → false. An empty array counts as missing;
 * - a present but unusable value (e.g. "abc" for NumericLessThan, a non-IP for IpAddress) makes
 *   the condition *indeterminate*: an Allow statement then does not apply, a Deny statement does
 *   (fail closed). The same holds for an unknown operator in a hand-built (unparsed) document.
 */
import {
  cidrContains,
  parseBoolValue,
  parseCidr,
  parseConditionOperator,
  parseDateValue,
  parseIpAddress,
  parseNumberValue,
  type CidrValue,
  type ConditionOperatorName,
  type ParsedConditionOperator,
  type PolicyDocument,
  type PolicyPrincipal,
  type PolicyStatement,
} from './policy-document.js';

export type ConditionValue = string | string[] | boolean | number | undefined;

export interface RequestContext {
  /** e.g. 'iam:CreateUser' (matched case-insensitively). */
  action: string;
  /** ARN of the target resource (or "*"). Matched case-sensitively. */
  resource: string;
  /** The caller; only used by statements that carry Principal / NotPrincipal (trust policies). */
  principal?: { type: 'AWS' | 'Federated' | 'Service'; id: string };
  /** Condition keys (looked up case-insensitively). */
  keys: Record<string, ConditionValue>;
}

export type Decision = 'Allow' | 'ExplicitDeny' | 'ImplicitDeny';

/** Kleene logic: null = indeterminate. */
type Tri = boolean | null;

// ---------------------------------------------------------------------------------------------
// Prepared request context
// ---------------------------------------------------------------------------------------------

class Env {
  readonly action: string;
  private keyMap: Map<string, ConditionValue> | undefined;

  constructor(readonly ctx: RequestContext) {
    this.action = typeof ctx.action === 'string' ? ctx.action.toLowerCase() : '';
  }

  /** Case-insensitive key lookup; `lowerKey` must already be lower-case. */
  get(lowerKey: string): ConditionValue {
    let map = this.keyMap;
    if (!map) {
      map = new Map();
      const keys = this.ctx.keys ?? {};
      for (const k of Object.keys(keys)) {
        const v = keys[k];
        const lk = k.toLowerCase();
        // On a case-only duplicate, keep the first defined value.
        if (v !== undefined && !map.has(lk)) map.set(lk, v);
      }
      this.keyMap = map;
    }
    return map.get(lowerKey);
  }

  /** Value of a policy variable, or undefined when it cannot be resolved. */
  variable(lowerKey: string): string | undefined {
    const v = this.get(lowerKey);
    if (typeof v === 'string') return v;
    if (typeof v === 'boolean') return v ? 'true' : 'false';
    if (typeof v === 'number') return Number.isFinite(v) ? String(v) : undefined;
    return undefined; // missing, or multi-valued (cannot be used as a variable)
  }
}

// ---------------------------------------------------------------------------------------------
// RegExp cache
// ---------------------------------------------------------------------------------------------

const REGEX_CACHE_MAX = 1024;
const regexCache = new Map<string, RegExp>();

function cachedRegex(source: string): RegExp {
  let re = regexCache.get(source);
  if (re) {
    // refresh LRU position
    regexCache.delete(source);
    regexCache.set(source, re);
    return re;
  }
  re = new RegExp(source, 'su');
  if (regexCache.size >= REGEX_CACHE_MAX) {
    const oldest = regexCache.keys().next().value;
    if (oldest !== undefined) regexCache.delete(oldest);
  }
  regexCache.set(source, re);
  return re;
}

/** Number of cached RegExps (for tests / metrics). */
export function patternCacheSize(): number {
  return regexCache.size;
}

function escapeRegex(s: string): string {
  return s.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
}

// ---------------------------------------------------------------------------------------------
// Templates: strings with wildcards and/or policy variables
// ---------------------------------------------------------------------------------------------

/** literal: no wildcards (StringEquals); glob: whole-string wildcards; arn: segment-aware wildcards. */
type TemplateMode = 'literal' | 'glob' | 'arn';

type Token =
  | { t: 'text'; s: string } // literal text (already split from wildcards in glob modes)
  | { t: 'star' }
  | { t: 'qmark' }
  | { t: 'var'; key: string; def: string | undefined };

const VAR_BODY_RE = /^\s*([^\s,'][^,']*?)\s*(?:,\s*'([^']*)'\s*)?$/;

function tokenize(pattern: string, mode: TemplateMode, variables: boolean): Token[] {
  const tokens: Token[] = [];
  let text = '';
  const flush = (): void => {
    if (text) tokens.push({ t: 'text', s: text });
    text = '';
  };
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (variables && c === '$' && pattern[i + 1] === '{') {
      const end = pattern.indexOf('}', i + 2);
      if (end !== -1) {
        const body = pattern.slice(i + 2, end);
        if (body === '*' || body === '?' || body === '$') {
          text += body; // escapes: always literal characters
          i = end;
          continue;
        }
        const m = VAR_BODY_RE.exec(body);
        if (m) {
          flush();
          tokens.push({ t: 'var', key: m[1]!.toLowerCase(), def: m[2] });
          i = end;
          continue;
        }
      }
      // not a well-formed variable: literal text
    }
    if (mode !== 'literal' && (c === '*' || c === '?')) {
      flush();
      tokens.push(c === '*' ? { t: 'star' } : { t: 'qmark' });
      continue;
    }
    text += c;
  }
  flush();
  return tokens;
}

/** Regex source pieces: strings, or variable references resolved (and escaped) at match time. */
type Piece = string | { key: string; def: string | undefined };

class Template {
  private readonly kind: 'any' | 'exact' | 'regex' | 'dynamic';
  private readonly exact: string = '';
  private readonly exactLower: string = '';
  private readonly regex: RegExp | undefined;
  private readonly pieces: Piece[] = [];

  constructor(
    pattern: string,
    private readonly mode: TemplateMode,
    variables: boolean,
  ) {
    const tokens = tokenize(pattern, mode, variables);
    const hasVar = tokens.some((t) => t.t === 'var');
    const hasWild = tokens.some((t) => t.t === 'star' || t.t === 'qmark');
    if (!hasVar && !hasWild) {
      this.kind = 'exact';
      this.exact = tokens.map((t) => (t.t === 'text' ? t.s : '')).join('');
      this.exactLower = this.exact.toLowerCase();
      return;
    }
    if (!hasVar && tokens.length === 1 && tokens[0]!.t === 'star') {
      this.kind = 'any';
      return;
    }
    if (mode === 'literal') {
      // variables only: pieces are raw strings, compared after substitution
      for (const t of tokens) this.pieces.push(t.t === 'var' ? { key: t.key, def: t.def } : t.t === 'text' ? t.s : '');
      this.kind = 'dynamic';
      return;
    }
    let src = '^';
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i]!;
      if (t.t === 'text') src += escapeRegex(t.s);
      else if (t.t === 'qmark') src += mode === 'arn' ? '[^:]' : '.';
      else if (t.t === 'star') {
        if (mode === 'arn') {
          // A '*' that ends an ARN segment may expand across colons; inside a segment it may not.
          const next = tokens[i + 1];
          const endsSegment = next === undefined || (next.t === 'text' && next.s.startsWith(':'));
          src += endsSegment ? '.*' : '[^:]*';
        } else src += '.*';
      } else {
        this.pieces.push(src, { key: t.key, def: t.def });
        src = '';
      }
    }
    src += '$';
    if (hasVar) {
      this.pieces.push(src);
      this.kind = 'dynamic';
    } else {
      this.kind = 'regex';
      this.regex = cachedRegex(src);
    }
  }

  /** Substitutes variables; undefined if one cannot be resolved. */
  private resolve(env: Env, escape: boolean): string | undefined {
    let out = '';
    for (const p of this.pieces) {
      if (typeof p === 'string') out += p;
      else {
        const v = env.variable(p.key) ?? p.def;
        if (v === undefined) return undefined;
        out += escape ? escapeRegex(v) : v;
      }
    }
    return out;
  }

  matches(value: string, env: Env, ignoreCase = false): boolean {
    switch (this.kind) {
      case 'any':
        return true;
      case 'exact':
        return ignoreCase ? value.toLowerCase() === this.exactLower : value === this.exact;
      case 'regex':
        return this.regex!.test(value);
      case 'dynamic': {
        if (this.mode === 'literal') {
          const s = this.resolve(env, false);
          if (s === undefined) return false;
          return ignoreCase ? s.toLowerCase() === value.toLowerCase() : s === value;
        }
        const src = this.resolve(env, true);
        return src !== undefined && cachedRegex(src).test(value);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Compiled policies
// ---------------------------------------------------------------------------------------------

interface CompiledPrincipal {
  readonly anyone: boolean;
  readonly anyAws: boolean;
  readonly accounts: ReadonlySet<string>;
  readonly awsArns: ReadonlySet<string>;
  readonly federated: ReadonlySet<string>;
  readonly service: ReadonlySet<string>;
}

interface CompiledCondition {
  readonly key: string; // lower-cased
  readonly op: ParsedConditionOperator | undefined; // undefined = unknown operator (indeterminate)
  /** Does the request value match (any of) the policy values? null = value unusable for this operator. */
  readonly match: (value: string | number | boolean, env: Env) => Tri;
  /** For Null: the expected "is missing" answers. */
  readonly nullExpect: readonly boolean[];
}

interface CompiledStatement {
  readonly deny: boolean;
  readonly actions: readonly Template[];
  readonly notAction: boolean;
  readonly resources: readonly Template[] | undefined; // undefined = no Resource element (trust policy)
  readonly notResource: boolean;
  readonly principal: CompiledPrincipal | undefined;
  readonly notPrincipal: boolean;
  readonly conditions: readonly CompiledCondition[];
}

const compiledCache = new WeakMap<PolicyDocument, readonly CompiledStatement[]>();

function asArray(v: readonly string[] | string | undefined): readonly string[] {
  if (v === undefined) return [];
  return typeof v === 'string' ? [v] : v;
}

const ACCOUNT_ID_RE = /^[0-9]{12}$/;
const ROOT_ARN_RE = /^arn:[^:]+:iam::([0-9]{12}):root$/;

function accountOf(id: string): string | undefined {
  if (ACCOUNT_ID_RE.test(id)) return id;
  if (!id.startsWith('arn:')) return undefined;
  const acct = id.split(':', 5)[4];
  return acct !== undefined && ACCOUNT_ID_RE.test(acct) ? acct : undefined;
}

function compilePrincipal(p: PolicyPrincipal): CompiledPrincipal {
  const accounts = new Set<string>();
  const awsArns = new Set<string>();
  let anyAws = false;
  if (p === '*') {
    return { anyone: true, anyAws: true, accounts, awsArns, federated: new Set(), service: new Set() };
  }
  for (const v of asArray(p.AWS)) {
    if (v === '*') anyAws = true;
    else if (ACCOUNT_ID_RE.test(v)) accounts.add(v);
    else {
      const root = ROOT_ARN_RE.exec(v);
      if (root) accounts.add(root[1]!);
      else awsArns.add(v);
    }
  }
  return {
    anyone: false,
    anyAws,
    accounts,
    awsArns,
    federated: new Set(asArray(p.Federated)),
    service: new Set(asArray(p.Service)),
  };
}

function principalMatches(p: CompiledPrincipal, who: RequestContext['principal']): boolean {
  if (p.anyone) return true;
  if (!who || typeof who.id !== 'string') return false;
  switch (who.type) {
    case 'AWS': {
      if (p.anyAws || p.awsArns.has(who.id)) return true;
      const acct = accountOf(who.id);
      return acct !== undefined && p.accounts.has(acct);
    }
    case 'Federated':
      return p.federated.has(who.id);
    case 'Service':
      return p.service.has(who.id);
    default:
      return false;
  }
}

const ARN_VALUE_RE = /^arn:[^:]*:[^:]*:[^:]*:[^:]*:/;

function requestString(v: string | number | boolean): string {
  return typeof v === 'string' ? v : typeof v === 'boolean' ? (v ? 'true' : 'false') : String(v);
}

/** OR over the policy values with Kleene logic. */
function anyOf<T>(items: readonly T[], f: (item: T) => Tri): Tri {
  let result: Tri = false;
  for (const item of items) {
    const r = f(item);
    if (r === true) return true;
    if (r === null) result = null;
  }
  return result;
}

function compare(name: ConditionOperatorName, a: number, b: number): boolean {
  if (name.endsWith('NotEquals') || name.endsWith('Equals')) {
    if (name.endsWith('LessThanEquals')) return a <= b;
    if (name.endsWith('GreaterThanEquals')) return a >= b;
    return a === b; // Equals; NotEquals is the negation, applied by the caller
  }
  if (name.endsWith('LessThan')) return a < b;
  if (name.endsWith('GreaterThan')) return a > b;
  return false;
}

function compileMatcher(
  op: ParsedConditionOperator,
  values: readonly string[],
  variables: boolean,
): CompiledCondition['match'] {
  const name = op.name;
  switch (name) {
    case 'StringEquals':
    case 'StringNotEquals':
    case 'StringEqualsIgnoreCase':
    case 'StringNotEqualsIgnoreCase': {
      const ignoreCase = name.endsWith('IgnoreCase');
      const ts = values.map((v) => new Template(v, 'literal', variables));
      return (rv, env) => {
        const s = requestString(rv);
        return ts.some((t) => t.matches(s, env, ignoreCase));
      };
    }
    case 'StringLike':
    case 'StringNotLike': {
      const ts = values.map((v) => new Template(v, 'glob', variables));
      return (rv, env) => {
        const s = requestString(rv);
        return ts.some((t) => t.matches(s, env));
      };
    }
    case 'ArnEquals':
    case 'ArnNotEquals':
    case 'ArnLike':
    case 'ArnNotLike': {
      // AWS: both ArnEquals and ArnLike compare segment-wise and accept wildcards.
      const ts = values.map((v) => new Template(v, v.startsWith('arn:') ? 'arn' : 'glob', variables));
      return (rv, env) => {
        if (typeof rv !== 'string' || !ARN_VALUE_RE.test(rv)) return null;
        return ts.some((t) => t.matches(rv, env));
      };
    }
    case 'Bool': {
      const bs = values.map((v) => parseBoolValue(v));
      return (rv) => {
        const b = parseBoolValue(rv);
        if (b === undefined) return null;
        return anyOf(bs, (pb) => (pb === undefined ? null : pb === b));
      };
    }
    case 'NumericEquals':
    case 'NumericNotEquals':
    case 'NumericLessThan':
    case 'NumericLessThanEquals':
    case 'NumericGreaterThan':
    case 'NumericGreaterThanEquals':
    case 'DateEquals':
    case 'DateNotEquals':
    case 'DateLessThan':
    case 'DateLessThanEquals':
    case 'DateGreaterThan':
    case 'DateGreaterThanEquals': {
      const parse = name.startsWith('Date') ? parseDateValue : parseNumberValue;
      const ns = values.map((v) => parse(v));
      return (rv) => {
        const n = typeof rv === 'boolean' ? undefined : parse(rv);
        if (n === undefined) return null;
        return anyOf(ns, (pn) => (pn === undefined ? null : compare(name, n, pn)));
      };
    }
    case 'IpAddress':
    case 'NotIpAddress': {
      const cidrs = values.map((v) => parseCidr(v));
      return (rv) => {
        const ip = parseIpAddress(rv);
        if (!ip) return null;
        return anyOf(cidrs, (c: CidrValue | undefined) => (c === undefined ? null : cidrContains(c, ip)));
      };
    }
    case 'Null':
      return () => null; // handled separately
  }
}

function compileStatement(st: PolicyStatement, variables: boolean): CompiledStatement {
  const notAction = st.Action === undefined && st.NotAction !== undefined;
  // Actions: lower-cased, matched against the lower-cased request action.
  const actions = asArray(notAction ? st.NotAction : st.Action).map((a) => new Template(a.toLowerCase(), 'glob', false));
  const notResource = st.Resource === undefined && st.NotResource !== undefined;
  const resList = notResource ? st.NotResource : st.Resource;
  const resources =
    resList === undefined
      ? undefined
      : asArray(resList).map((r) => new Template(r, r.startsWith('arn:') ? 'arn' : 'glob', variables));
  const notPrincipal = st.Principal === undefined && st.NotPrincipal !== undefined;
  const pr = notPrincipal ? st.NotPrincipal : st.Principal;
  const principal = pr === undefined ? undefined : compilePrincipal(pr);

  const conditions: CompiledCondition[] = [];
  if (st.Condition) {
    for (const opName of Object.keys(st.Condition)) {
      const op = parseConditionOperator(opName);
      const block = st.Condition[opName]!;
      for (const key of Object.keys(block)) {
        const raw = block[key] as readonly string[] | string | number | boolean;
        const values = (Array.isArray(raw) ? raw : [raw]).map((v) => requestString(v as string | number | boolean));
        if (!op) {
          conditions.push({ key: key.toLowerCase(), op: undefined, match: () => null, nullExpect: [] });
          continue;
        }
        conditions.push({
          key: key.toLowerCase(),
          op,
          match: compileMatcher(op, values, variables),
          nullExpect: op.name === 'Null' ? values.map((v) => parseBoolValue(v) === true) : [],
        });
      }
    }
  }
  return {
    deny: st.Effect !== 'Allow',
    actions,
    notAction,
    resources,
    notResource,
    principal,
    notPrincipal,
    conditions,
  };
}

function compile(doc: PolicyDocument): readonly CompiledStatement[] {
  let compiled = compiledCache.get(doc);
  if (!compiled) {
    const variables = doc.Version === '2012-10-17';
    const statements = Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement as unknown as PolicyStatement];
    compiled = statements.map((s) => compileStatement(s, variables));
    compiledCache.set(doc, compiled);
  }
  return compiled;
}

// ---------------------------------------------------------------------------------------------
// Evaluation
// ---------------------------------------------------------------------------------------------

function requestValues(v: ConditionValue): Array<string | number | boolean> | undefined {
  if (v === undefined || v === null) return undefined;
  if (Array.isArray(v)) return v.length === 0 ? undefined : v;
  return [v];
}

function evaluateCondition(c: CompiledCondition, env: Env): Tri {
  const op = c.op;
  if (!op) return null;
  const values = requestValues(env.get(c.key));
  if (op.name === 'Null') {
    const missing = values === undefined;
    return c.nullExpect.some((expectMissing) => expectMissing === missing);
  }
  if (values === undefined) {
    if (op.ifExists) return true;
    if (op.qualifier === 'ForAllValues') return true;
    if (op.qualifier === 'ForAnyValue') return false;
    return op.negated;
  }
  // Per request value: does the operator hold? (negated operators: no policy value matches)
  const holds = (rv: string | number | boolean): Tri => {
    const m = c.match(rv, env);
    return m === null ? null : op.negated ? !m : m;
  };
  if (op.qualifier === 'ForAllValues' || (!op.qualifier && op.negated)) {
    // every value must satisfy (unqualified negated operators on multi-valued keys: none may match)
    let result: Tri = true;
    for (const rv of values) {
      const r = holds(rv);
      if (r === false) return false;
      if (r === null) result = null;
    }
    return result;
  }
  // ForAnyValue, or an unqualified positive operator: at least one value must satisfy
  return anyOf(values, holds);
}

function statementApplies(st: CompiledStatement, env: Env): Tri {
  let actionMatch = false;
  for (const a of st.actions) {
    if (a.matches(env.action, env)) {
      actionMatch = true;
      break;
    }
  }
  if (actionMatch === st.notAction) return false;

  if (st.resources) {
    const resource = typeof env.ctx.resource === 'string' ? env.ctx.resource : '';
    let resMatch = false;
    for (const r of st.resources) {
      if (r.matches(resource, env)) {
        resMatch = true;
        break;
      }
    }
    if (resMatch === st.notResource) return false;
  }

  if (st.principal) {
    if (principalMatches(st.principal, env.ctx.principal) === st.notPrincipal) return false;
  }

  let result: Tri = true;
  for (const c of st.conditions) {
    const r = evaluateCondition(c, env);
    if (r === false) return false;
    if (r === null) result = null;
  }
  return result;
}

function evaluateWith(policies: readonly PolicyDocument[], env: Env): Decision {
  let allowed = false;
  for (const doc of policies) {
    for (const st of compile(doc)) {
      if (!st.deny && allowed) continue; // already allowed: only a Deny can change the outcome
      const applies = statementApplies(st, env);
      if (st.deny) {
        if (applies !== false) return 'ExplicitDeny'; // indeterminate Deny fails closed
      } else if (applies === true) {
        allowed = true;
      }
    }
  }
  return allowed ? 'Allow' : 'ImplicitDeny';
}

/** Evaluates a set of policies: an explicit Deny wins, then any Allow, else an implicit deny. */
export function evaluatePolicies(policies: readonly PolicyDocument[], ctx: RequestContext): Decision {
  return evaluateWith(policies, new Env(ctx));
}

/**
 * The identity policies must Allow; no policy (identity or session) may explicitly Deny; and when
 * `sessionPolicies` is given (even `[]`, which allows nothing), they must Allow too — the effective
 * permissions are the intersection, as with AWS session policies.
 */
export function isAllowed(
  identityPolicies: readonly PolicyDocument[],
  ctx: RequestContext,
  sessionPolicies?: readonly PolicyDocument[],
): boolean {
  const env = new Env(ctx);
  const identity = evaluateWith(identityPolicies, env);
  if (identity === 'ExplicitDeny') return false;
  if (sessionPolicies !== undefined) {
    if (evaluateWith(sessionPolicies, env) !== 'Allow') return false;
  }
  return identity === 'Allow';
}
