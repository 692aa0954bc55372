import type { FastifyRequest } from 'fastify';
import { groupArn, oidcProviderArn, policyArn, roleArn, rootArn, userArn } from '../arn.js';
import { DomainError } from '../errors/domain-error.js';
import type { AuthContext } from './auth-context.js';

/** Looks up the paths that belong in resource ARNs. Always scoped by account. */
export interface ResourceLookup {
  userPath(accountId: string, userName: string): Promise<string | null>;
  groupPath(accountId: string, groupName: string): Promise<string | null>;
  policyPath(accountId: string, policyName: string): Promise<string | null>;
  rolePath(accountId: string, roleName: string): Promise<string | null>;
  /** The ARN of the account's OIDC provider with this id, or null. */
  oidcProviderArn(accountId: string, providerId: string): Promise<string | null>;
}
export const RESOURCE_LOOKUP = Symbol('ResourceLookup');

export type ResourceResolver = (req: FastifyRequest, auth: AuthContext, lookup: ResourceLookup) => Promise<string> | string;

type Params = Record<string, string | undefined>;
const param = (req: FastifyRequest, name: string) => (req.params as Params)[name] ?? '';
const body = (req: FastifyRequest) => (req.body ?? {}) as Record<string, unknown>;
const acct = (req: FastifyRequest, auth: AuthContext) => param(req, 'accountId') || auth.accountId || '';

/**
 * The ARN builders throw a RangeError on a malformed name or path (whitespace, a path without its
 * slashes, an empty name). Here those come from the request, so they are the caller's mistake, not ours.
 */
const arnOf = (build: () => string): string => {
  try {
    return build();
  } catch (e) {
    if (e instanceof RangeError) throw DomainError.validation('The request names an invalid resource: check the names and paths it contains.');
    throw e;
  }
};

/**
 * Resource ARNs for route declarations. A missing entity gets path "/" so the
 * decision never depends on whether it exists; the service then says NoSuchEntity.
 */
export const Res = {
  /** Account-wide actions (password policy, alias, listing). */
  all: (): ResourceResolver => () => '*',
  /** The account itself (root ARN), for account settings. */
  account: (): ResourceResolver => (req, auth) => arnOf(() => rootArn(acct(req, auth))),
  /** The calling principal (ChangePassword, own MFA). */
  self: (): ResourceResolver => (_req, auth) => auth.principal.arn,
  user:
    (p = 'userName'): ResourceResolver =>
    async (req, auth, lookup) => {
      const a = acct(req, auth);
      const name = param(req, p);
      const path = (await lookup.userPath(a, name)) ?? '/';
      return arnOf(() => userArn(a, path, name));
    },
  /** A user about to be created: name and path from the body. */
  newUser: (): ResourceResolver => (req, auth) => {
    const b = body(req);
    return arnOf(() => userArn(acct(req, auth), typeof b.path === 'string' ? b.path : '/', String(b.userName ?? '')));
  },
  group:
    (p = 'groupName'): ResourceResolver =>
    async (req, auth, lookup) => {
      const a = acct(req, auth);
      const name = param(req, p);
      const path = (await lookup.groupPath(a, name)) ?? '/';
      return arnOf(() => groupArn(a, path, name));
    },
  newGroup: (): ResourceResolver => (req, auth) => {
    const b = body(req);
    return arnOf(() => groupArn(acct(req, auth), typeof b.path === 'string' ? b.path : '/', String(b.groupName ?? '')));
  },
  policy:
    (p = 'policyName'): ResourceResolver =>
    async (req, auth, lookup) => {
      const a = acct(req, auth);
      const name = param(req, p);
      const path = (await lookup.policyPath(a, name)) ?? '/';
      return arnOf(() => policyArn(a, path, name));
    },
  newPolicy: (): ResourceResolver => (req, auth) => {
    const b = body(req);
    return arnOf(() => policyArn(acct(req, auth), typeof b.path === 'string' ? b.path : '/', String(b.policyName ?? '')));
  },
  role:
    (p = 'roleName'): ResourceResolver =>
    async (req, auth, lookup) => {
      const a = acct(req, auth);
      const name = param(req, p);
      const path = (await lookup.rolePath(a, name)) ?? '/';
      return arnOf(() => roleArn(a, path, name));
    },
  newRole: (): ResourceResolver => (req, auth) => {
    const b = body(req);
    return arnOf(() => roleArn(acct(req, auth), typeof b.path === 'string' ? b.path : '/', String(b.roleName ?? '')));
  },
  /** An existing OIDC provider by its id; an unknown one is named by a placeholder ARN in the account. */
  oidcProvider:
    (p = 'providerId'): ResourceResolver =>
    async (req, auth, lookup) => {
      const a = acct(req, auth);
      return (await lookup.oidcProviderArn(a, param(req, p))) ?? arnOf(() => oidcProviderArn(a, 'unknown'));
    },
  /** An OIDC provider about to be created, from the issuer URL in the body. */
  newOidcProvider: (): ResourceResolver => (req, auth) => {
    const url = String(body(req).url ?? '');
    return arnOf(() => oidcProviderArn(acct(req, auth), url.replace(/^https?:\/\//i, '') || 'unknown'));
  },
};
