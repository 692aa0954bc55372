import type { FastifyRequest } from 'fastify';
import { groupArn, policyArn, rootArn, userArn } from '../arn.js';
import type { AuthContext } from './auth-context.js';

/** Looks up the paths that belong in resource ARNs. Always scoped by account. */
export interface ResourceLookup {
  userPath(accountId: string, userName: string): Promise<string | null>;
  groupPath(accountId: string, groupName: string): Promise<string | null>;
  policyPath(accountId: string, policyName: string): Promise<string | null>;
}
export const RESOURCE_LOOKUP = Symbol('ResourceLookup');

export type ResourceResolver = (req: FastifyRequest, auth: AuthContext, lookup: ResourceLookup) => Promise<string> | string;

type Params = Record<string, string | undefined>;
const param = (req: FastifyRequest, name: string) => (req.params as Params)[name] ?? '';
const body = (req: FastifyRequest) => (req.body ?? {}) as Record<string, unknown>;
const acct = (req: FastifyRequest, auth: AuthContext) => param(req, 'accountId') || auth.accountId || '';

/**
 * Resource ARNs for route declarations. A missing entity gets path "/" so the
 * decision never depends on whether it exists; the service then says NoSuchEntity.
 */
export const Res = {
  /** Account-wide actions (password policy, alias, listing). */
  all: (): ResourceResolver => () => '*',
  /** The account itself (root ARN), for account settings. */
  account: (): ResourceResolver => (req, auth) => rootArn(acct(req, auth)),
  /** The calling principal (ChangePassword, own MFA). */
  self: (): ResourceResolver => (_req, auth) => auth.principal.arn,
  user:
    (p = 'userName'): ResourceResolver =>
    async (req, auth, lookup) => {
      const a = acct(req, auth);
      const name = param(req, p);
      return userArn(a, (await lookup.userPath(a, name)) ?? '/', name);
    },
  /** A user about to be created: name and path from the body. */
  newUser: (): ResourceResolver => (req, auth) => {
    const b = body(req);
    return userArn(acct(req, auth), typeof b.path === 'string' ? b.path : '/', String(b.userName ?? ''));
  },
  group:
    (p = 'groupName'): ResourceResolver =>
    async (req, auth, lookup) => {
      const a = acct(req, auth);
      const name = param(req, p);
      return groupArn(a, (await lookup.groupPath(a, name)) ?? '/', name);
    },
  newGroup: (): ResourceResolver => (req, auth) => {
    const b = body(req);
    return groupArn(acct(req, auth), typeof b.path === 'string' ? b.path : '/', String(b.groupName ?? ''));
  },
  policy:
    (p = 'policyName'): ResourceResolver =>
    async (req, auth, lookup) => {
      const a = acct(req, auth);
      const name = param(req, p);
      return policyArn(a, (await lookup.policyPath(a, name)) ?? '/', name);
    },
  newPolicy: (): ResourceResolver => (req, auth) => {
    const b = body(req);
    return policyArn(acct(req, auth), typeof b.path === 'string' ? b.path : '/', String(b.policyName ?? ''));
  },
};
