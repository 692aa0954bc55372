import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { registeredRoutes } from '../support/routes.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthContext, AuthMethod } from '../../src/common/auth/auth-context.js';
import {
  ACTION_KEY,
  type ActionSpec,
  AUTHENTICATED_ONLY_KEY,
  DEFAULT_METHODS,
  ENROLL_OK_KEY,
  METHODS_KEY,
  PUBLIC_KEY,
  ROOT_ONLY_KEY,
} from '../../src/common/auth/auth.decorators.js';
import type { ResourceLookup } from '../../src/common/auth/resource.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

interface RouteInfo {
  method: string;
  path: string;
  handler: string;
  declaration: string;
  declared: boolean;
}

const FAKE_ACCOUNT = '123456789012';

/** Renders a route's resource resolver as a readable ARN template, by running it on placeholder input. */
async function resourceTemplate(spec: ActionSpec): Promise<string> {
  const req = {
    params: { accountId: FAKE_ACCOUNT, userName: '<userName>', groupName: '<groupName>', policyName: '<policyName>', roleName: '<roleName>', providerId: '<providerId>', name: '<name>' },
    body: { userName: '<body.userName>', groupName: '<body.groupName>', policyName: '<body.policyName>', roleName: '<body.roleName>', url: 'https://<body.url>', path: '/<body.path>/' },
    headers: {},
    query: {},
  } as unknown as FastifyRequest;
  const auth = {
    method: 'console-session',
    accountId: FAKE_ACCOUNT,
    principal: { kind: 'IAMUser', id: 'x', arn: '<caller>', name: 'x', userId: 'x' },
    mfa: { present: false },
    tags: {},
  } as AuthContext;
  const lookup: ResourceLookup = {
    userPath: async () => '/<path>/',
    groupPath: async () => '/<path>/',
    policyPath: async () => '/<path>/',
    rolePath: async () => '/<path>/',
    oidcProviderArn: async (accountId, id) => `arn:aws:iam::${accountId}:oidc-provider/<provider ${id}>`,
  };
  return (await spec.resource(req, auth, lookup)).replaceAll(FAKE_ACCOUNT, '<accountId>');
}

/**
 * Every route Nest registered, with what the global AuthGuard will require of it, read from the same
 * metadata (handler first, then controller) and in the same order as the guard reads it.
 */
async function declaredRoutes(t: TestApp): Promise<RouteInfo[]> {
  const reflector = t.app.get(Reflector);
  const routes: RouteInfo[] = [];
  for (const { method, path, controller: cls, name, handler } of registeredRoutes(t.app)) {
    const meta = <T>(key: string) => reflector.getAllAndOverride<T>(key, [handler, cls]);

    const isPublic = !!meta<boolean>(PUBLIC_KEY);
    const methods = meta<AuthMethod[]>(METHODS_KEY) ?? DEFAULT_METHODS;
    const rootOnly = !!meta<boolean>(ROOT_ONLY_KEY);
    const action = meta<ActionSpec>(ACTION_KEY);
    const authenticatedOnly = !!meta<boolean>(AUTHENTICATED_ONLY_KEY);
    const restricted = meta<string[]>(ENROLL_OK_KEY) ?? [];

    let declaration: string;
    let declared = true;
    if (isPublic) {
      declaration = 'public';
    } else {
      const alternatives: string[] = [];
      // The guard lets an operator token through as soon as the route accepts it.
      if (methods.includes('operator-token')) alternatives.push('operator');
      const others = methods.filter((m) => m !== 'operator-token');
      if (others.length) {
        const reqs: string[] = [];
        if (rootOnly) reqs.push('root-only');
        if (action) reqs.push(`action ${action.action} on ${await resourceTemplate(action)}`);
        if (!rootOnly && !action && authenticatedOnly) reqs.push('authenticated-only');
        if (!reqs.length) {
          reqs.push('UNDECLARED');
          declared = false;
        }
        // The default methods are asserted once, below; only a route's own choice is shown here.
        const isDefault = others.length === DEFAULT_METHODS.length && others.every((m) => DEFAULT_METHODS.includes(m));
        const via = isDefault ? '' : `[${others.join(', ')}] `;
        alternatives.push(via + reqs.join(' + '));
      }
      if (methods.length === 1 && methods[0] === 'operator-token' && !authenticatedOnly) {
        // An operator route must still say so explicitly (OperatorOnly sets authenticated-only).
        alternatives.push('UNDECLARED');
        declared = false;
      }
      declaration = alternatives.join(' | ');
      if (restricted.length) declaration += ` (restricted session ok: ${[...restricted].sort().join(', ')})`;
    }
    routes.push({ method, path, handler: `${cls.name}.${name}`, declaration, declared });
  }
  const order = (r: RouteInfo) => `${r.path} ${r.method}`;
  return routes.sort((a, b) => (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0));
}

/**
 * Who may call what, route by route. Written out in full on purpose: any change in access (a new route,
 * a dropped @Authorize, a different action or resource, an operator or public route more) shows up here
 * as a diff to review. Legend: `public` = no credentials; `operator` = a platform operator token;
 * `root-only` = the account's root user; `action X on R` = a principal whose policies allow X on R (root:
 * always, in its own account), with the default credentials (console session or SigV4, see below) unless
 * a `[method]` is named; `[password]` = the password strategy (sign-in); `authenticated-only` = any valid
 * credentials. "restricted session ok" = still callable by a session that must first enroll
 * MFA or change its password.
 */
const EXPECTED: string[] = [
  'GET / → public',
  'POST / → public',
  'GET /health/live → public',
  'GET /health/ready → public',
  'GET /metrics → public',
  'GET /v1/accounts → operator',
  'POST /v1/accounts → operator',
  'GET /v1/accounts/:accountId → operator | [console-session] action iam:GetAccountSummary on *',
  'PATCH /v1/accounts/:accountId → root-only',
  'GET /v1/accounts/:accountId/access-key-report → action iam:GetCredentialReport on *',
  'DELETE /v1/accounts/:accountId/alias → action iam:DeleteAccountAlias on *',
  'PUT /v1/accounts/:accountId/alias → action iam:CreateAccountAlias on *',
  'GET /v1/accounts/:accountId/audit/digests → action audit:ListDigests on arn:aws:iam::<accountId>:root',
  'POST /v1/accounts/:accountId/audit/digests → action audit:CreateDigest on arn:aws:iam::<accountId>:root',
  'GET /v1/accounts/:accountId/audit/export → action audit:Export on arn:aws:iam::<accountId>:root',
  'POST /v1/accounts/:accountId/audit/prune → action audit:ManageRetention on arn:aws:iam::<accountId>:root',
  'GET /v1/accounts/:accountId/audit/retention → action audit:GetRetention on arn:aws:iam::<accountId>:root',
  'PUT /v1/accounts/:accountId/audit/retention → action audit:ManageRetention on arn:aws:iam::<accountId>:root',
  'PUT /v1/accounts/:accountId/aws-link → operator',
  'POST /v1/accounts/:accountId/change-password → action iam:ChangePassword on <caller> (restricted session ok: password-change)',
  'GET /v1/accounts/:accountId/container-tokens → action sts:ListContainerTokens on arn:aws:iam::<accountId>:root',
  'POST /v1/accounts/:accountId/container-tokens → action sts:CreateContainerToken on arn:aws:iam::<accountId>:root',
  'DELETE /v1/accounts/:accountId/container-tokens/:id → action sts:DeleteContainerToken on arn:aws:iam::<accountId>:root',
  'GET /v1/accounts/:accountId/groups → action iam:ListGroups on *',
  'POST /v1/accounts/:accountId/groups → action iam:CreateGroup on arn:aws:iam::<accountId>:group/<body.path>/<body.groupName>',
  'DELETE /v1/accounts/:accountId/groups/:groupName → action iam:DeleteGroup on arn:aws:iam::<accountId>:group/<path>/<groupName>',
  'GET /v1/accounts/:accountId/groups/:groupName → action iam:GetGroup on arn:aws:iam::<accountId>:group/<path>/<groupName>',
  'DELETE /v1/accounts/:accountId/groups/:groupName/users/:userName → action iam:RemoveUserFromGroup on arn:aws:iam::<accountId>:group/<path>/<groupName>',
  'PUT /v1/accounts/:accountId/groups/:groupName/users/:userName → action iam:AddUserToGroup on arn:aws:iam::<accountId>:group/<path>/<groupName>',
  'DELETE /v1/accounts/:accountId/groups/:name/attached-policies → action iam:DetachGroupPolicy on arn:aws:iam::<accountId>:group/<path>/<name>',
  'GET /v1/accounts/:accountId/groups/:name/attached-policies → action iam:ListAttachedGroupPolicies on arn:aws:iam::<accountId>:group/<path>/<name>',
  'POST /v1/accounts/:accountId/groups/:name/attached-policies → action iam:AttachGroupPolicy on arn:aws:iam::<accountId>:group/<path>/<name>',
  'GET /v1/accounts/:accountId/groups/:name/inline-policies → action iam:ListGroupPolicies on arn:aws:iam::<accountId>:group/<path>/<name>',
  'DELETE /v1/accounts/:accountId/groups/:name/inline-policies/:policyName → action iam:DeleteGroupPolicy on arn:aws:iam::<accountId>:group/<path>/<name>',
  'GET /v1/accounts/:accountId/groups/:name/inline-policies/:policyName → action iam:GetGroupPolicy on arn:aws:iam::<accountId>:group/<path>/<name>',
  'PUT /v1/accounts/:accountId/groups/:name/inline-policies/:policyName → action iam:PutGroupPolicy on arn:aws:iam::<accountId>:group/<path>/<name>',
  'GET /v1/accounts/:accountId/oidc-providers → action iam:ListOpenIDConnectProviders on *',
  'POST /v1/accounts/:accountId/oidc-providers → action iam:CreateOpenIDConnectProvider on arn:aws:iam::<accountId>:oidc-provider/<body.url>',
  'DELETE /v1/accounts/:accountId/oidc-providers/:providerId → action iam:DeleteOpenIDConnectProvider on arn:aws:iam::<accountId>:oidc-provider/<provider <providerId>>',
  'GET /v1/accounts/:accountId/oidc-providers/:providerId → action iam:GetOpenIDConnectProvider on arn:aws:iam::<accountId>:oidc-provider/<provider <providerId>>',
  'PATCH /v1/accounts/:accountId/oidc-providers/:providerId → action iam:UpdateOpenIDConnectProvider on arn:aws:iam::<accountId>:oidc-provider/<provider <providerId>>',
  'DELETE /v1/accounts/:accountId/password-policy → action iam:DeleteAccountPasswordPolicy on *',
  'GET /v1/accounts/:accountId/password-policy → action iam:GetAccountPasswordPolicy on *',
  'PUT /v1/accounts/:accountId/password-policy → action iam:UpdateAccountPasswordPolicy on *',
  'GET /v1/accounts/:accountId/policies → action iam:ListPolicies on *',
  'POST /v1/accounts/:accountId/policies → action iam:CreatePolicy on arn:aws:iam::<accountId>:policy/<body.path>/<body.policyName>',
  'DELETE /v1/accounts/:accountId/policies/:policyName → action iam:DeletePolicy on arn:aws:iam::<accountId>:policy/<path>/<policyName>',
  'GET /v1/accounts/:accountId/policies/:policyName → action iam:GetPolicy on arn:aws:iam::<accountId>:policy/<path>/<policyName>',
  'PUT /v1/accounts/:accountId/policies/:policyName/document → action iam:CreatePolicyVersion on arn:aws:iam::<accountId>:policy/<path>/<policyName>',
  'GET /v1/accounts/:accountId/roles → action iam:ListRoles on *',
  'POST /v1/accounts/:accountId/roles → action iam:CreateRole on arn:aws:iam::<accountId>:role/<body.path>/<body.roleName>',
  'DELETE /v1/accounts/:accountId/roles/:name/attached-policies → action iam:DetachRolePolicy on arn:aws:iam::<accountId>:role/<path>/<name>',
  'GET /v1/accounts/:accountId/roles/:name/attached-policies → action iam:ListAttachedRolePolicies on arn:aws:iam::<accountId>:role/<path>/<name>',
  'POST /v1/accounts/:accountId/roles/:name/attached-policies → action iam:AttachRolePolicy on arn:aws:iam::<accountId>:role/<path>/<name>',
  'GET /v1/accounts/:accountId/roles/:name/inline-policies → action iam:ListRolePolicies on arn:aws:iam::<accountId>:role/<path>/<name>',
  'DELETE /v1/accounts/:accountId/roles/:name/inline-policies/:policyName → action iam:DeleteRolePolicy on arn:aws:iam::<accountId>:role/<path>/<name>',
  'GET /v1/accounts/:accountId/roles/:name/inline-policies/:policyName → action iam:GetRolePolicy on arn:aws:iam::<accountId>:role/<path>/<name>',
  'PUT /v1/accounts/:accountId/roles/:name/inline-policies/:policyName → action iam:PutRolePolicy on arn:aws:iam::<accountId>:role/<path>/<name>',
  'DELETE /v1/accounts/:accountId/roles/:roleName → action iam:DeleteRole on arn:aws:iam::<accountId>:role/<path>/<roleName>',
  'GET /v1/accounts/:accountId/roles/:roleName → action iam:GetRole on arn:aws:iam::<accountId>:role/<path>/<roleName>',
  'PATCH /v1/accounts/:accountId/roles/:roleName → action iam:UpdateRole on arn:aws:iam::<accountId>:role/<path>/<roleName>',
  'PUT /v1/accounts/:accountId/roles/:roleName/trust-policy → action iam:UpdateAssumeRolePolicy on arn:aws:iam::<accountId>:role/<path>/<roleName>',
  'GET /v1/accounts/:accountId/root/access-keys → root-only',
  'POST /v1/accounts/:accountId/root/access-keys → root-only',
  'DELETE /v1/accounts/:accountId/root/access-keys/:accessKeyId → root-only',
  'PATCH /v1/accounts/:accountId/root/access-keys/:accessKeyId → root-only',
  'GET /v1/accounts/:accountId/root/access-keys/:accessKeyId/last-used → root-only',
  'PUT /v1/accounts/:accountId/root/email → root-only',
  'DELETE /v1/accounts/:accountId/root/mfa-devices → root-only (restricted session ok: mfa-enrollment)',
  'GET /v1/accounts/:accountId/root/mfa-devices → root-only (restricted session ok: mfa-enrollment)',
  'POST /v1/accounts/:accountId/root/mfa-devices → root-only (restricted session ok: mfa-enrollment)',
  'POST /v1/accounts/:accountId/root/mfa-devices/deactivate → root-only (restricted session ok: mfa-enrollment)',
  'POST /v1/accounts/:accountId/root/mfa-devices/enable → root-only (restricted session ok: mfa-enrollment)',
  'POST /v1/accounts/:accountId/sts/revocations → action sts:RevokeSessions on arn:aws:iam::<accountId>:root',
  'GET /v1/accounts/:accountId/sts/sessions → action sts:ListSessions on arn:aws:iam::<accountId>:root',
  'GET /v1/accounts/:accountId/users → action iam:ListUsers on *',
  'POST /v1/accounts/:accountId/users → action iam:CreateUser on arn:aws:iam::<accountId>:user/<body.path>/<body.userName>',
  'DELETE /v1/accounts/:accountId/users/:name/attached-policies → action iam:DetachUserPolicy on arn:aws:iam::<accountId>:user/<path>/<name>',
  'GET /v1/accounts/:accountId/users/:name/attached-policies → action iam:ListAttachedUserPolicies on arn:aws:iam::<accountId>:user/<path>/<name>',
  'POST /v1/accounts/:accountId/users/:name/attached-policies → action iam:AttachUserPolicy on arn:aws:iam::<accountId>:user/<path>/<name>',
  'GET /v1/accounts/:accountId/users/:name/inline-policies → action iam:ListUserPolicies on arn:aws:iam::<accountId>:user/<path>/<name>',
  'DELETE /v1/accounts/:accountId/users/:name/inline-policies/:policyName → action iam:DeleteUserPolicy on arn:aws:iam::<accountId>:user/<path>/<name>',
  'GET /v1/accounts/:accountId/users/:name/inline-policies/:policyName → action iam:GetUserPolicy on arn:aws:iam::<accountId>:user/<path>/<name>',
  'PUT /v1/accounts/:accountId/users/:name/inline-policies/:policyName → action iam:PutUserPolicy on arn:aws:iam::<accountId>:user/<path>/<name>',
  'DELETE /v1/accounts/:accountId/users/:userName → action iam:DeleteUser on arn:aws:iam::<accountId>:user/<path>/<userName>',
  'GET /v1/accounts/:accountId/users/:userName → action iam:GetUser on arn:aws:iam::<accountId>:user/<path>/<userName>',
  'PATCH /v1/accounts/:accountId/users/:userName → action iam:UpdateUser on arn:aws:iam::<accountId>:user/<path>/<userName>',
  'GET /v1/accounts/:accountId/users/:userName/access-keys → action iam:ListAccessKeys on arn:aws:iam::<accountId>:user/<path>/<userName>',
  'POST /v1/accounts/:accountId/users/:userName/access-keys → action iam:CreateAccessKey on arn:aws:iam::<accountId>:user/<path>/<userName>',
  'DELETE /v1/accounts/:accountId/users/:userName/access-keys/:accessKeyId → action iam:DeleteAccessKey on arn:aws:iam::<accountId>:user/<path>/<userName>',
  'PATCH /v1/accounts/:accountId/users/:userName/access-keys/:accessKeyId → action iam:UpdateAccessKey on arn:aws:iam::<accountId>:user/<path>/<userName>',
  'GET /v1/accounts/:accountId/users/:userName/access-keys/:accessKeyId/last-used → action iam:GetAccessKeyLastUsed on arn:aws:iam::<accountId>:user/<path>/<userName>',
  'GET /v1/accounts/:accountId/users/:userName/groups → action iam:ListGroupsForUser on arn:aws:iam::<accountId>:user/<path>/<userName>',
  'DELETE /v1/accounts/:accountId/users/:userName/login-profile → action iam:DeleteLoginProfile on arn:aws:iam::<accountId>:user/<path>/<userName>',
  'GET /v1/accounts/:accountId/users/:userName/login-profile → action iam:GetLoginProfile on arn:aws:iam::<accountId>:user/<path>/<userName>',
  'PATCH /v1/accounts/:accountId/users/:userName/login-profile → action iam:UpdateLoginProfile on arn:aws:iam::<accountId>:user/<path>/<userName>',
  'POST /v1/accounts/:accountId/users/:userName/login-profile → action iam:CreateLoginProfile on arn:aws:iam::<accountId>:user/<path>/<userName>',
  'DELETE /v1/accounts/:accountId/users/:userName/mfa-devices → action iam:DeleteVirtualMFADevice on arn:aws:iam::<accountId>:user/<path>/<userName> (restricted session ok: mfa-enrollment)',
  'GET /v1/accounts/:accountId/users/:userName/mfa-devices → action iam:ListMFADevices on arn:aws:iam::<accountId>:user/<path>/<userName> (restricted session ok: mfa-enrollment)',
  'POST /v1/accounts/:accountId/users/:userName/mfa-devices → action iam:CreateVirtualMFADevice on arn:aws:iam::<accountId>:user/<path>/<userName> (restricted session ok: mfa-enrollment)',
  'POST /v1/accounts/:accountId/users/:userName/mfa-devices/deactivate → action iam:DeactivateMFADevice on arn:aws:iam::<accountId>:user/<path>/<userName>',
  'POST /v1/accounts/:accountId/users/:userName/mfa-devices/enable → action iam:EnableMFADevice on arn:aws:iam::<accountId>:user/<path>/<userName> (restricted session ok: mfa-enrollment)',
  'POST /v1/accounts/:accountId/users/:userName/tags → action iam:TagUser on arn:aws:iam::<accountId>:user/<path>/<userName>',
  'POST /v1/accounts/:accountId/users/:userName/untag → action iam:UntagUser on arn:aws:iam::<accountId>:user/<path>/<userName>',
  'GET /v1/audit/public-keys → public',
  'GET /v1/caller-identity → authenticated-only (restricted session ok: mfa-enrollment, password-change)',
  'GET /v1/container-credentials → public',
  'POST /v1/root/password-reset → public',
  'POST /v1/root/password-reset/confirm → public',
  'POST /v1/signin → [password] authenticated-only (restricted session ok: mfa-enrollment, password-change)',
  'POST /v1/signin/mfa → public',
  'POST /v1/signout → authenticated-only (restricted session ok: mfa-enrollment, password-change)',
  'POST /v1/sts/assume-role → authenticated-only',
  'POST /v1/sts/assume-role-with-web-identity → public',
  'GET /v1/sts/get-caller-identity → authenticated-only (restricted session ok: mfa-enrollment, password-change)',
  'POST /v1/sts/get-caller-identity → authenticated-only (restricted session ok: mfa-enrollment, password-change)',
  'POST /v1/sts/get-federation-token → authenticated-only',
  'POST /v1/sts/get-session-token → authenticated-only',
];

describe('route permission declarations', () => {
  let t: TestApp;
  let routes: RouteInfo[];
  beforeAll(async () => {
    t = await startTestApp();
    routes = await declaredRoutes(t);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('routes that do not choose accept the default credentials: console sessions and SigV4-signed requests', () => {
    expect([...DEFAULT_METHODS].sort()).toEqual(['console-session', 'sigv4']);
  });

  it('every route declares who may call it (the guard refuses undeclared routes, but none should exist)', () => {
    expect(routes.length).toBeGreaterThan(0);
    expect(routes.filter((r) => !r.declared).map((r) => `${r.method} ${r.path} (${r.handler})`)).toEqual([]);
  });

  it('matches the expected access list exactly', () => {
    expect(routes.map((r) => `${r.method} ${r.path} → ${r.declaration}`)).toEqual(EXPECTED);
  });

  it('no route is registered twice', () => {
    const keys = routes.map((r) => `${r.method} ${r.path}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('nothing inside an account is public, and operators reach only the account record itself', () => {
    const inAccount = routes.filter((r) => r.path.startsWith('/v1/accounts/:accountId'));
    expect(inAccount.length).toBeGreaterThan(50);
    expect(inAccount.filter((r) => r.declaration === 'public')).toEqual([]);
    expect(routes.filter((r) => r.declaration.includes('operator')).map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /v1/accounts',
      'POST /v1/accounts',
      'GET /v1/accounts/:accountId',
      'PUT /v1/accounts/:accountId/aws-link',
    ]);
  });

  it('the enumeration is complete: Fastify serves each route, and the OpenAPI document lists no other', async () => {
    const fastify = t.app.getHttpAdapter().getInstance();
    for (const r of routes) expect(fastify.hasRoute({ method: r.method as 'GET', url: r.path }), `${r.method} ${r.path}`).toBe(true);

    const doc = await t.http.get('/docs/openapi.json');
    expect(doc.status).toBe(200);
    const documented: string[] = [];
    for (const [path, ops] of Object.entries(doc.body.paths as Record<string, Record<string, unknown>>)) {
      for (const m of Object.keys(ops)) {
        if (['get', 'put', 'post', 'delete', 'patch', 'head', 'options'].includes(m)) documented.push(`${m.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`);
      }
    }
    // /metrics is deliberately left out of the API document (@ApiExcludeController).
    const enumerated = routes.map((r) => `${r.method} ${r.path}`).filter((k) => k !== 'GET /metrics');
    expect(documented.sort()).toEqual(enumerated.sort());
  });
});
