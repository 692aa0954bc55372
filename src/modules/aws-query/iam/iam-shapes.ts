import type { ClassConstructor } from 'class-transformer';
import { userArn } from '../../../common/arn.js';
import type { AuthContext } from '../../../common/auth/auth-context.js';
import type { ResourceLookup } from '../../../common/auth/resource.js';
import { constraintError, QueryParamError, type QueryParams } from '../../../common/aws-query/query-params.js';
import { DomainError } from '../../../common/errors/domain-error.js';
import { validateDto } from '../../../common/validation/validate-dto.js';
import type { AuthedQueryRequest, QueryAction, QueryResult, QueryValue } from '../query-action.js';

/**
 * Shared pieces of the IAM Query actions: AWS result shapes built from the
 * REST views the services return, pagination (`Marker`/`MaxItems`/
 * `IsTruncated`), tag lists, and the "UserName absent → the caller" rule.
 * Pure: no Nest, no I/O (the resource helpers take the lookup they need).
 */

// ---------------------------------------------------------------- actions

/**
 * An authenticated IAM action authorized like its REST route: `action` on the
 * ARN `resource` returns, checked by the dispatcher before `run`.
 */
export function iamAction(
  name: string,
  action: string,
  resource: (req: AuthedQueryRequest, lookup: ResourceLookup) => string | Promise<string>,
  run: (req: AuthedQueryRequest) => Promise<QueryResult | undefined>,
): QueryAction {
  return {
    service: 'iam',
    name,
    authorize: { action, resource },
    run: (req) => {
      if (!req.auth) throw DomainError.accessDenied();
      return run(req as AuthedQueryRequest);
    },
  };
}

// ---------------------------------------------------------------- validation

export { constraintError };

/**
 * Validates Query parameters with the REST transport's DTO class, so both
 * transports share one set of rules. `fields` maps DTO property → value;
 * undefined values are left out (optional members).
 */
export function validateAs<T extends object>(cls: ClassConstructor<T>, fields: Record<string, unknown>): T {
  const body: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) body[k] = v;
  return validateDto(cls, body);
}

// ---------------------------------------------------------------- pagination

/** Default and maximum `MaxItems` (AWS: 100 by default, 1..1000). */
export const DEFAULT_MAX_ITEMS = 100;
export const MAX_MAX_ITEMS = 1000;

export interface PageRequest {
  marker?: string;
  maxItems: number;
}

/** `Marker` (1-320 characters in U+0020..U+00FF) and `MaxItems` (1-1000, default 100), with AWS's messages. */
export function pageParams(p: QueryParams): PageRequest {
  const maxItems = p.int('MaxItems');
  if (maxItems !== undefined && maxItems < 1) throw constraintError('MaxItems', maxItems, 'Member must have value greater than or equal to 1');
  if (maxItems !== undefined && maxItems > MAX_MAX_ITEMS) throw constraintError('MaxItems', maxItems, `Member must have value less than or equal to ${MAX_MAX_ITEMS}`);
  const marker = p.str('Marker');
  if (marker !== undefined) {
    if (marker.length < 1 || marker.length > 320) throw constraintError('Marker', marker, 'Member must have length between 1 and 320');
    if (!/^[\u0020-\u00FF]+$/.test(marker)) throw constraintError('Marker', marker, 'Member must satisfy regular expression pattern: [\\u0020-\\u00FF]+');
  }
  return { marker, maxItems: maxItems ?? DEFAULT_MAX_ITEMS };
}

/** The pagination members of a list result: `IsTruncated`, and `Marker` only when truncated. */
export function pageMembers(marker: string | undefined): QueryResult {
  return marker ? { IsTruncated: true, Marker: marker } : { IsTruncated: false };
}

/** Opaque markers for lists paged in memory: base64url of the last item's sort key. */
export function encodeMarker(key: string): string {
  return Buffer.from(key, 'utf8').toString('base64url');
}

export function decodeMarker(marker: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(marker)) throw new QueryParamError('ValidationError', 'Invalid Marker.');
  return Buffer.from(marker, 'base64url').toString('utf8');
}

/**
 * One page of a list held in memory (a user's keys, devices, …), keyed so
 * that a page boundary survives items added or removed between calls: items
 * are ordered by `key`, and a page starts after the marker's key.
 */
export function paginate<T>(items: readonly T[], key: (item: T) => string, page: PageRequest): { items: T[]; marker?: string } {
  const sorted = [...items].sort((a, b) => cmp(key(a), key(b)));
  const after = page.marker === undefined ? undefined : decodeMarker(page.marker);
  const rest = after === undefined ? sorted : sorted.filter((i) => cmp(key(i), after) > 0);
  const out = rest.slice(0, page.maxItems);
  return rest.length > page.maxItems ? { items: out, marker: encodeMarker(key(out[out.length - 1])) } : { items: out };
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

// ---------------------------------------------------------------- tags

export type TagRecord = Record<string, string>;

/** `Tags.member.N.Key` / `.Value` → a record (undefined when absent); each member needs a Key. */
export function tagsParam(p: QueryParams, name = 'Tags'): TagRecord | undefined {
  const list = p.structList(name, ['Key', 'Value'] as const);
  if (list === undefined) return undefined;
  const out: TagRecord = {};
  list.forEach((t, i) => {
    if (t.Key === undefined) throw constraintError(`${name}.${i + 1}.member.key`, null, 'Member must not be null');
    if (t.Value === undefined) throw constraintError(`${name}.${i + 1}.member.value`, null, 'Member must not be null');
    if (Object.prototype.hasOwnProperty.call(out, t.Key)) throw new QueryParamError('InvalidParameterValue', `Duplicate tag keys found. Please note that Tag keys are case insensitive.`);
    out[t.Key] = t.Value;
  });
  return out;
}

/** `[{key, value}]` (REST views) or a record → AWS `Tags` members `{Key, Value}`. */
export function tagList(tags: ReadonlyArray<{ key: string; value: string }> | TagRecord | undefined | null): QueryValue[] {
  if (!tags) return [];
  const entries = Array.isArray(tags) ? (tags as Array<{ key: string; value: string }>).map((t) => [t.key, t.value] as const) : Object.entries(tags as TagRecord);
  return entries.map(([Key, Value]) => ({ Key, Value }));
}

// ---------------------------------------------------------------- dates

/** ISO strings from REST views → Date (the serializer writes ISO 8601); null/undefined stay absent. */
export function dateOf(iso: string | Date | null | undefined): Date | undefined {
  if (iso === null || iso === undefined) return undefined;
  return iso instanceof Date ? iso : new Date(iso);
}

// ---------------------------------------------------------------- users

/** What the services' user view carries (see users/user.views.ts). */
export interface UserViewLike {
  userName: string;
  userId: string;
  arn: string;
  path: string;
  createDate: string | Date;
  passwordLastUsed?: string | Date | null;
  tags?: ReadonlyArray<{ key: string; value: string }>;
}

/**
 * The IAM `User` element. Root (GetUser without UserName as root) has no
 * UserName or Path, as in AWS. `Tags` only when asked for (GetUser,
 * CreateUser) and non-empty: ListUsers does not return tags.
 */
export function userShape(u: UserViewLike, opts: { tags?: boolean } = {}): QueryResult {
  const isRoot = u.arn.endsWith(':root');
  const out: QueryResult = {
    ...(isRoot ? {} : { Path: u.path, UserName: u.userName }),
    UserId: u.userId,
    Arn: u.arn,
    CreateDate: dateOf(u.createDate),
    PasswordLastUsed: dateOf(u.passwordLastUsed),
  };
  if (opts.tags && u.tags?.length) out.Tags = tagList(u.tags);
  return out;
}

// ---------------------------------------------------------------- names and resources

/** existingUserNameType: [\w+=,.@-]+, 1-128. */
const EXISTING_USER_NAME_RE = /^[\w+=,.@-]{1,128}$/;

/** A user name parameter, checked against AWS's pattern (undefined when absent). */
export function userNameParam(p: QueryParams, name = 'UserName'): string | undefined {
  const v = p.str(name);
  if (v === undefined) return undefined;
  if (v.length < 1 || v.length > 128) throw constraintError(name, v, 'Member must have length between 1 and 128');
  if (!EXISTING_USER_NAME_RE.test(v)) throw constraintError(name, v, 'Member must satisfy regular expression pattern: [\\w+=,.@-]+');
  return v;
}

/** Like userNameParam, but the parameter must be there. */
export function requiredUserName(p: QueryParams, name = 'UserName'): string {
  const v = userNameParam(p, name);
  if (v === undefined) throw constraintError(name, null, 'Member must not be null');
  return v;
}

/** Who an action without `UserName` is about: an IAM user by name, or root (null). */
export type UserTarget = { accountId: string; userName: string | null };

/** The caller's account (every IAM action is authenticated). */
export function callerAccount(auth: AuthContext): string {
  if (!auth.accountId) throw DomainError.accessDenied();
  return auth.accountId;
}

/**
 * `UserName` when given (resolved in the caller's own account, as AWS does),
 * else the caller: an IAM user itself, root itself (null), and for role or
 * federated sessions AWS's ValidationError.
 */
export function userTarget(auth: AuthContext, p: QueryParams, opts: { rootAllowed?: boolean } = {}): UserTarget {
  const accountId = callerAccount(auth);
  const named = userNameParam(p);
  if (named !== undefined) return { accountId, userName: named };
  if (auth.principal.kind === 'IAMUser') return { accountId, userName: auth.principal.name };
  if (auth.principal.kind === 'Root' && opts.rootAllowed !== false) return { accountId, userName: null };
  throw DomainError.validation('Must specify userName when calling with non-User credentials');
}

/** Like userTarget, but root is not a target (login profiles): root must name a user. */
export function iamUserTarget(auth: AuthContext, p: QueryParams): { accountId: string; userName: string } {
  const t = userTarget(auth, p, { rootAllowed: false });
  return { accountId: t.accountId, userName: t.userName! };
}

/** The resource ARN of a target: the caller's own ARN for itself (root included), else the named user's ARN with its path. */
export async function targetResource(auth: AuthContext, t: UserTarget, lookup: ResourceLookup): Promise<string> {
  if (t.userName === null) return auth.principal.arn;
  return userResource(t.accountId, t.userName, lookup);
}

/** arn:aws:iam::<acct>:user<path><name>; an unknown user gets path "/" (the decision never depends on existence). */
export async function userResource(accountId: string, userName: string, lookup: ResourceLookup): Promise<string> {
  const path = (await lookup.userPath(accountId, userName)) ?? '/';
  try {
    return userArn(accountId, path, userName);
  } catch (e) {
    if (e instanceof RangeError) throw DomainError.validation('The request names an invalid resource: check the names and paths it contains.');
    throw e;
  }
}

