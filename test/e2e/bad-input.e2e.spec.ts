import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants.js';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum.js';
import type { Response, Test } from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountWithRoot, bearer, codeAt, READ_ONLY, ROOT_PASSWORD, USER_PASSWORD, type TestAccount } from '../support/factories.js';
import { trustAccount } from '../support/roles.js';
import { registeredRoutes } from '../support/routes.js';
import { DB_KIND, startTestApp, uniq, type TestApp } from '../support/test-app.js';

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
type Who = 'root' | 'operator' | 'none';

const POLICY = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iam:ListUsers', Resource: '*' }] };
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Managed policy ARNs long enough (10 × ~1000 characters) to overflow STS's packed-policy allowance. */
const HUGE_POLICY_ARNS = Array.from({ length: 10 }, (_, i) => `arn:aws:iam::aws:policy/${String(i).repeat(1000)}`);

/** Every POST/PUT/PATCH route and every route that reads a @Body(), from Nest's own metadata. */
function bodyRoutes(t: TestApp): { route: string; takesBody: boolean }[] {
  const out: { route: string; takesBody: boolean }[] = [];
  for (const r of registeredRoutes(t.app)) {
    const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, r.controller, r.name) ?? {}) as Record<string, unknown>;
    const takesBody = Object.keys(args).some((k) => k.split(':')[0] === String(RouteParamtypes.BODY));
    if (!takesBody && !['POST', 'PUT', 'PATCH'].includes(r.method)) continue;
    out.push({ route: `${r.method} ${r.path}`, takesBody });
  }
  return out.sort((a, b) => (a.route < b.route ? -1 : 1));
}

/** Every error has the one JSON format, and its requestId is the response's x-request-id. */
function expectError(res: Response, status: number, code: string, label = '') {
  expect(res.status, `${label} ${JSON.stringify(res.body)}`).toBe(status);
  expect(res.headers['content-type'], label).toMatch(/^application\/json/);
  expect(Object.keys(res.body), label).toEqual(['error']);
  expect(res.body.error.code, label).toBe(code);
  expect(typeof res.body.error.message, label).toBe('string');
  expect(res.headers['x-request-id'], label).toBeTruthy();
  expect(res.body.error.requestId, label).toBe(res.headers['x-request-id']);
}

describe(`bad input: mass assignment, malformed bodies, limits (${DB_KIND})`, () => {
  let t: TestApp;
  let A: TestAccount;
  const fx = {
    user: uniq('ursula-'),
    noProfile: uniq('nopro-'),
    group: uniq('grp-'),
    policy: uniq('pol-'),
    userMfa: { serial: '', seed: '' },
    rootMfa: { serial: '', seed: '' },
    userKey: '',
    rootKey: '',
    role: uniq('role-'),
    roleArn: '',
    oidcProvider: '',
  };

  beforeAll(async () => {
    t = await startTestApp();
    A = await accountWithRoot(t);
    const h = bearer(A.rootToken);
    const base = `/v1/accounts/${A.accountId}`;
    for (const [p, body] of [
      ['/users', { userName: fx.user }],
      ['/users', { userName: fx.noProfile }],
      [`/users/${fx.user}/login-profile`, { password: USER_PASSWORD }],
      ['/groups', { groupName: fx.group }],
      ['/policies', { policyName: fx.policy, document: POLICY }],
    ] as const) {
      const r = await t.http.post(base + p).set(h).send(body);
      expect(r.status, JSON.stringify(r.body)).toBe(201);
    }
    // A role that A's own account may assume (AssumeRole, container tokens), and an OIDC provider.
    const role = await t.http.post(`${base}/roles`).set(h).send({ roleName: fx.role, assumeRolePolicyDocument: trustAccount(A.accountId) });
    expect(role.status, JSON.stringify(role.body)).toBe(201);
    fx.roleArn = role.body.arn;
    const idp = await t.http.post(`${base}/oidc-providers`).set(h).send({ url: `https://${uniq('idp-')}.example.com`, clientIdList: ['sts.amazonaws.com'] });
    expect(idp.status, JSON.stringify(idp.body)).toBe(201);
    fx.oidcProvider = idp.body.providerId;
  });

  afterAll(async () => {
    await t?.close();
  });

  const headersOf = (who: Who): Record<string, string> => (who === 'root' ? bearer(A.rootToken) : who === 'operator' ? bearer(t.operatorToken) : {});
  const send = (method: Method, path: string, who: Who): Test => {
    const m = method.toLowerCase() as 'get' | 'post' | 'put' | 'patch' | 'delete';
    return t.http[m](path).set(headersOf(who));
  };

  interface BodyRoute {
    route: `${Method} ${string}`;
    path: () => string;
    who: Who;
    /** A body the route accepts. */
    body?: () => object;
    /** Fields that must not be accepted next to it. */
    extras: object[];
    /** What the valid body gets (sent after the refused ones, in table order). */
    ok: [number, string?];
    /** For a refused body: its effect must not be visible. */
    notCreated?: () => Promise<void>;
  }

  const acct = () => `/v1/accounts/${A.accountId}`;
  const newUser = uniq('newbie-');
  const newGroup = uniq('newgrp-');
  const newPolicy = uniq('newpol-');
  const newAlias = uniq('alias-');
  const newAccountAlias = uniq('acct-');
  const newRole = uniq('newrole-');
  const newIdpUrl = `https://${uniq('newidp-')}.example.com`;
  const mfaCodes = (m: { serial: string; seed: string }) => ({ serialNumber: m.serial, authenticationCode1: codeAt(m.seed, -1), authenticationCode2: codeAt(m.seed, 0) });

  /** Every POST/PUT/PATCH route (the completeness test checks the list against the app). */
  const table = (): BodyRoute[] => [
    {
      route: 'POST /v1/accounts',
      path: () => '/v1/accounts',
      who: 'operator',
      body: () => ({ name: 'Mass Co', alias: newAccountAlias, rootEmail: `${uniq('mass-')}@example.test`, rootPassword: ROOT_PASSWORD }),
      extras: [{ id: '123456789012' }, { requireRootMfa: false }, { requireAdminMfa: true }, { accountId: '123456789012' }, { createdAt: '2000-01-01T00:00:00Z' }],
      ok: [201],
      notCreated: async () => expect(await t.prisma.account.count({ where: { alias: newAccountAlias } })).toBe(0),
    },
    {
      route: 'PATCH /v1/accounts/:accountId',
      path: acct,
      who: 'root',
      // (Root access keys are unlocked here, for the root access-key rows below.)
      body: () => ({ name: 'Renamed Co', lockRootAccessKeys: false }),
      extras: [{ alias: 'hijack' }, { id: '123456789012' }, { rootEmail: 'x@example.test' }, { createdAt: '2000-01-01T00:00:00Z' }, { awsAccountId: '123456789012' }],
      ok: [200],
      notCreated: async () => expect((await t.prisma.account.findUnique({ where: { id: A.accountId } }))?.name).toBe('Test Co'),
    },
    {
      route: 'PUT /v1/accounts/:accountId/aws-link',
      path: () => `${acct()}/aws-link`,
      who: 'operator',
      body: () => ({ awsAccountId: null }),
      extras: [{ accountId: '123456789012' }, { roleArn: 'arn:aws:iam::123456789012:role/x' }, { externalId: 'x' }],
      ok: [200],
    },
    {
      route: 'PUT /v1/accounts/:accountId/alias',
      path: () => `${acct()}/alias`,
      who: 'root',
      body: () => ({ alias: newAlias }),
      extras: [{ accountId: '123456789012' }, { name: 'x' }],
      ok: [200],
      notCreated: async () => expect(await t.prisma.account.count({ where: { alias: newAlias } })).toBe(0),
    },
    {
      route: 'PUT /v1/accounts/:accountId/root/email',
      path: () => `${acct()}/root/email`,
      who: 'root',
      body: () => ({ newEmail: `${uniq('newroot-')}@example.test`, password: ROOT_PASSWORD }),
      extras: [{ email: 'x@example.test' }, { accountId: '123456789012' }, { verified: true }],
      ok: [200],
    },
    {
      route: 'PUT /v1/accounts/:accountId/password-policy',
      path: () => `${acct()}/password-policy`,
      who: 'root',
      body: () => ({ minimumPasswordLength: 8, allowUsersToChangePassword: true }),
      extras: [{ accountId: '123456789012' }, { minimumLength: 6 }, { expirePasswords: true }],
      ok: [200],
      notCreated: async () => expect(await t.prisma.passwordPolicy.count({ where: { accountId: A.accountId } })).toBe(0),
    },
    {
      route: 'PUT /v1/accounts/:accountId/audit/retention',
      path: () => `${acct()}/audit/retention`,
      who: 'root',
      body: () => ({ retentionDays: 7 }),
      extras: [{ accountId: '123456789012' }, { days: 3 }, { anchorSeq: '0' }],
      ok: [200],
      notCreated: async () => expect(await t.prisma.auditSetting.count({ where: { chain: A.accountId } })).toBe(0),
    },
    {
      route: 'POST /v1/accounts/:accountId/audit/prune',
      path: () => `${acct()}/audit/prune`,
      who: 'root',
      extras: [],
      ok: [200],
    },
    {
      route: 'POST /v1/accounts/:accountId/audit/digests',
      path: () => `${acct()}/audit/digests`,
      who: 'root',
      extras: [],
      ok: [201],
    },
    {
      route: 'POST /v1/accounts/:accountId/change-password',
      path: () => `${acct()}/change-password`,
      who: 'root',
      body: () => ({ oldPassword: ROOT_PASSWORD, newPassword: 'Changed-R00t-Passw0rd' }),
      extras: [{ userName: fx.user }, { accountId: '123456789012' }, { passwordResetRequired: false }],
      ok: [204],
    },
    {
      route: 'POST /v1/accounts/:accountId/users',
      path: () => `${acct()}/users`,
      who: 'root',
      body: () => ({ userName: newUser }),
      extras: [{ id: 'AIDAAAAAAAAAAAAAAAAAA', accountId: '123456789012', isAdmin: true }, { arn: 'arn:aws:iam::123456789012:user/x' }, { passwordHash: 'x' }, { kind: 'ROOT' }, { email: 'x@example.test' }],
      ok: [201],
      notCreated: async () => expect((await t.http.get(`${acct()}/users/${newUser}`).set(headersOf('root'))).status).toBe(404),
    },
    {
      route: 'PATCH /v1/accounts/:accountId/users/:userName',
      path: () => `${acct()}/users/${newUser}`,
      who: 'root',
      body: () => ({ newPath: '/moved/' }),
      extras: [{ userId: 'AIDAAAAAAAAAAAAAAAAAA' }, { arn: 'x' }, { kind: 'ROOT' }, { accountId: '123456789012' }, { tags: [] }, { userName: 'other' }],
      ok: [200],
      notCreated: async () => expect((await t.http.get(`${acct()}/users/${newUser}`).set(headersOf('root'))).body.path).toBe('/'),
    },
    {
      route: 'POST /v1/accounts/:accountId/users/:userName/tags',
      path: () => `${acct()}/users/${fx.user}/tags`,
      who: 'root',
      body: () => ({ tags: [{ key: 'team', value: 'blue' }] }),
      extras: [{ userName: 'other' }, { tags: [{ key: 'team', value: 'red', admin: true }] }, { tags: [{ key: 'team', value: 'red' }], accountId: '123456789012' }],
      ok: [201],
      notCreated: async () => expect((await t.http.get(`${acct()}/users/${fx.user}`).set(headersOf('root'))).body.tags).toEqual([]),
    },
    {
      route: 'POST /v1/accounts/:accountId/users/:userName/untag',
      path: () => `${acct()}/users/${fx.user}/untag`,
      who: 'root',
      body: () => ({ tagKeys: ['team'] }),
      extras: [{ tags: [] }, { all: true }],
      ok: [201],
    },
    {
      route: 'POST /v1/accounts/:accountId/users/:userName/login-profile',
      path: () => `${acct()}/users/${fx.noProfile}/login-profile`,
      who: 'root',
      body: () => ({ password: USER_PASSWORD }),
      extras: [{ passwordHash: '$argon2id$v=19$m=65536,t=3,p=4$x$y' }, { userName: fx.user }, { passwordLastUsed: '2000-01-01T00:00:00Z' }],
      ok: [201],
      notCreated: async () => expect((await t.http.get(`${acct()}/users/${fx.noProfile}/login-profile`).set(headersOf('root'))).status).toBe(404),
    },
    {
      route: 'PATCH /v1/accounts/:accountId/users/:userName/login-profile',
      path: () => `${acct()}/users/${fx.noProfile}/login-profile`,
      who: 'root',
      body: () => ({ passwordResetRequired: true }),
      extras: [{ passwordHash: 'x' }, { createDate: '2000-01-01T00:00:00Z' }, { userName: fx.user }],
      ok: [200],
      notCreated: async () => expect((await t.http.get(`${acct()}/users/${fx.noProfile}/login-profile`).set(headersOf('root'))).body.passwordResetRequired).toBe(false),
    },
    {
      route: 'POST /v1/accounts/:accountId/users/:userName/mfa-devices',
      path: () => `${acct()}/users/${fx.user}/mfa-devices`,
      who: 'root',
      body: () => ({ deviceName: uniq('phone-') }),
      extras: [{ serialNumber: 'arn:aws:iam::123456789012:mfa/x' }, { base32StringSeed: 'JBSWY3DPEHPK3PXP' }, { enabled: true }],
      ok: [201],
      notCreated: async () => expect((await t.http.get(`${acct()}/users/${fx.user}/mfa-devices`).set(headersOf('root'))).body.mfaDevices).toEqual([]),
    },
    {
      route: 'POST /v1/accounts/:accountId/users/:userName/mfa-devices/enable',
      path: () => `${acct()}/users/${fx.user}/mfa-devices/enable`,
      who: 'root',
      body: () => mfaCodes(fx.userMfa),
      extras: [{ enabled: true }, { userName: 'other' }],
      ok: [201],
    },
    {
      route: 'POST /v1/accounts/:accountId/users/:userName/mfa-devices/deactivate',
      path: () => `${acct()}/users/${fx.user}/mfa-devices/deactivate`,
      who: 'root',
      body: () => ({ serialNumber: fx.userMfa.serial }),
      extras: [{ force: true }, { userName: 'other' }],
      ok: [204],
    },
    {
      route: 'POST /v1/accounts/:accountId/root/mfa-devices',
      path: () => `${acct()}/root/mfa-devices`,
      who: 'root',
      body: () => ({ deviceName: uniq('rootphone-') }),
      extras: [{ serialNumber: 'arn:aws:iam::123456789012:mfa/x' }, { enabled: true }, { userName: fx.user }],
      ok: [201],
    },
    {
      route: 'POST /v1/accounts/:accountId/root/mfa-devices/enable',
      path: () => `${acct()}/root/mfa-devices/enable`,
      who: 'root',
      body: () => mfaCodes(fx.rootMfa),
      extras: [{ enabled: true }],
      ok: [201],
    },
    {
      route: 'POST /v1/accounts/:accountId/root/mfa-devices/deactivate',
      path: () => `${acct()}/root/mfa-devices/deactivate`,
      who: 'root',
      body: () => ({ serialNumber: fx.rootMfa.serial }),
      extras: [{ force: true }],
      ok: [204],
    },
    {
      route: 'POST /v1/accounts/:accountId/users/:userName/access-keys',
      path: () => `${acct()}/users/${fx.user}/access-keys`,
      who: 'root',
      // Takes no body (only ?format=json|csv).
      extras: [],
      ok: [201],
    },
    {
      route: 'PATCH /v1/accounts/:accountId/users/:userName/access-keys/:accessKeyId',
      path: () => `${acct()}/users/${fx.user}/access-keys/${fx.userKey}`,
      who: 'root',
      body: () => ({ status: 'Inactive' }),
      extras: [{ secretAccessKey: 'x' }, { userName: 'other' }, { upstream: true }, { lastUsedAt: '2000-01-01T00:00:00Z' }],
      ok: [200],
      notCreated: async () => expect((await t.prisma.accessKey.findUnique({ where: { id: fx.userKey } }))?.status).toBe('Active'),
    },
    {
      route: 'DELETE /v1/accounts/:accountId/users/:userName/access-keys/:accessKeyId',
      path: () => `${acct()}/users/${fx.user}/access-keys/${fx.userKey}`,
      who: 'root',
      body: () => ({ confirmAccessKeyId: fx.userKey }),
      extras: [{ force: true }, { userName: 'other' }],
      ok: [204],
      notCreated: async () => expect(await t.prisma.accessKey.count({ where: { id: fx.userKey } })).toBe(1),
    },
    {
      route: 'POST /v1/accounts/:accountId/root/access-keys',
      path: () => `${acct()}/root/access-keys`,
      who: 'root',
      extras: [],
      ok: [201],
    },
    {
      route: 'PATCH /v1/accounts/:accountId/root/access-keys/:accessKeyId',
      path: () => `${acct()}/root/access-keys/${fx.rootKey}`,
      who: 'root',
      body: () => ({ status: 'Inactive' }),
      extras: [{ status: 'Inactive', secretAccessKey: 'x' }, { userId: 'x' }],
      ok: [200],
    },
    {
      route: 'DELETE /v1/accounts/:accountId/root/access-keys/:accessKeyId',
      path: () => `${acct()}/root/access-keys/${fx.rootKey}`,
      who: 'root',
      body: () => ({ confirmAccessKeyId: fx.rootKey }),
      extras: [{ force: true }],
      ok: [204],
    },
    {
      route: 'POST /v1/accounts/:accountId/groups',
      path: () => `${acct()}/groups`,
      who: 'root',
      body: () => ({ groupName: newGroup }),
      extras: [{ groupId: 'AGPAAAAAAAAAAAAAAAAAA' }, { arn: 'x' }, { members: [fx.user] }, { accountId: '123456789012' }],
      ok: [201],
      notCreated: async () => expect((await t.http.get(`${acct()}/groups/${newGroup}`).set(headersOf('root'))).status).toBe(404),
    },
    {
      route: 'PUT /v1/accounts/:accountId/groups/:groupName/users/:userName',
      path: () => `${acct()}/groups/${fx.group}/users/${fx.user}`,
      who: 'root',
      // Takes no body: the group and user are in the path.
      extras: [],
      ok: [204],
    },
    {
      route: 'POST /v1/accounts/:accountId/policies',
      path: () => `${acct()}/policies`,
      who: 'root',
      body: () => ({ policyName: newPolicy, document: POLICY }),
      extras: [{ arn: `arn:aws:iam::123456789012:policy/${newPolicy}` }, { policyId: 'ANPAAAAAAAAAAAAAAAAAA' }, { accountId: '123456789012' }, { attachmentCount: 0 }, { defaultVersionId: 'v9' }],
      ok: [201],
      notCreated: async () => expect((await t.http.get(`${acct()}/policies/${newPolicy}`).set(headersOf('root'))).status).toBe(404),
    },
    {
      route: 'PUT /v1/accounts/:accountId/policies/:policyName/document',
      path: () => `${acct()}/policies/${fx.policy}/document`,
      who: 'root',
      body: () => ({ document: { ...POLICY, Statement: [{ Effect: 'Allow', Action: 'iam:ListGroups', Resource: '*' }] } }),
      extras: [{ policyName: 'renamed' }, { arn: 'x' }, { setAsDefault: true }],
      ok: [200],
      notCreated: async () => expect((await t.http.get(`${acct()}/policies/${fx.policy}`).set(headersOf('root'))).body.document).toEqual(POLICY),
    },
    ...(['users', 'groups', 'roles'] as const).flatMap((kind): BodyRoute[] => {
      const owner = () => (kind === 'users' ? fx.user : kind === 'groups' ? fx.group : fx.role);
      return [
        {
          route: `POST /v1/accounts/:accountId/${kind}/:name/attached-policies`,
          path: () => `${acct()}/${kind}/${owner()}/attached-policies`,
          who: 'root',
          body: () => ({ policyArn: READ_ONLY }),
          extras: [{ principalId: 'x' }, { accountId: '123456789012' }, { policyArn2: READ_ONLY }],
          ok: [204],
          notCreated: async () => expect((await t.http.get(`${acct()}/${kind}/${owner()}/attached-policies`).set(headersOf('root'))).body.attachedPolicies).toEqual([]),
        },
        {
          route: `PUT /v1/accounts/:accountId/${kind}/:name/inline-policies/:policyName`,
          path: () => `${acct()}/${kind}/${owner()}/inline-policies/inl`,
          who: 'root',
          body: () => ({ document: POLICY }),
          extras: [{ name: 'other' }, { principalId: 'x' }, { policyName: 'other' }],
          ok: [204],
          notCreated: async () => expect((await t.http.get(`${acct()}/${kind}/${owner()}/inline-policies`).set(headersOf('root'))).body.policyNames).toEqual([]),
        },
      ];
    }),
    {
      route: 'POST /v1/accounts/:accountId/roles',
      path: () => `${acct()}/roles`,
      who: 'root',
      body: () => ({ roleName: newRole, assumeRolePolicyDocument: trustAccount(A.accountId) }),
      extras: [{ roleId: 'AROAAAAAAAAAAAAAAAAAA' }, { arn: `arn:aws:iam::123456789012:role/${newRole}` }, { accountId: '123456789012' }, { trustPolicy: '{}' }, { createDate: '2000-01-01T00:00:00Z' }],
      ok: [201],
      notCreated: async () => expect((await t.http.get(`${acct()}/roles/${newRole}`).set(headersOf('root'))).status).toBe(404),
    },
    {
      route: 'PATCH /v1/accounts/:accountId/roles/:roleName',
      path: () => `${acct()}/roles/${fx.role}`,
      who: 'root',
      body: () => ({ description: 'Deploys things' }),
      extras: [{ roleName: 'other' }, { path: '/moved/' }, { arn: 'x' }, { assumeRolePolicyDocument: trustAccount('123456789012') }, { tags: {} }, { roleId: 'x' }],
      ok: [200],
      notCreated: async () => expect((await t.http.get(`${acct()}/roles/${fx.role}`).set(headersOf('root'))).body.description).toBeNull(),
    },
    {
      route: 'PUT /v1/accounts/:accountId/roles/:roleName/trust-policy',
      path: () => `${acct()}/roles/${fx.role}/trust-policy`,
      who: 'root',
      body: () => ({ document: trustAccount(A.accountId) }),
      extras: [{ roleName: 'other' }, { assumeRolePolicyDocument: trustAccount('123456789012') }, { maxSessionDuration: 43_200 }],
      ok: [200],
    },
    {
      route: 'POST /v1/accounts/:accountId/oidc-providers',
      path: () => `${acct()}/oidc-providers`,
      who: 'root',
      body: () => ({ url: newIdpUrl, clientIdList: ['sts.amazonaws.com'] }),
      extras: [{ arn: 'arn:aws:iam::123456789012:oidc-provider/x' }, { providerId: '00000000-0000-4000-8000-000000000000' }, { accountId: '123456789012' }, { audiences: ['x'] }, { createDate: '2000-01-01T00:00:00Z' }],
      ok: [201],
      notCreated: async () => expect(await t.prisma.oidcProvider.count({ where: { accountId: A.accountId, url: newIdpUrl } })).toBe(0),
    },
    {
      route: 'PATCH /v1/accounts/:accountId/oidc-providers/:providerId',
      path: () => `${acct()}/oidc-providers/${fx.oidcProvider}`,
      who: 'root',
      body: () => ({ clientIdList: ['sts.amazonaws.com', 'other-audience'] }),
      extras: [{ url: 'https://evil.example.com' }, { arn: 'x' }, { thumbprintList: [] }, { providerId: '00000000-0000-4000-8000-000000000000' }],
      ok: [200],
      notCreated: async () => expect((await t.http.get(`${acct()}/oidc-providers/${fx.oidcProvider}`).set(headersOf('root'))).body.clientIdList).toEqual(['sts.amazonaws.com']),
    },
    {
      route: 'POST /v1/accounts/:accountId/container-tokens',
      path: () => `${acct()}/container-tokens`,
      who: 'root',
      body: () => ({ name: uniq('ct-'), roleArn: fx.roleArn }),
      extras: [{ token: 'cbct_chosen-by-the-caller' }, { tokenHash: 'x' }, { userId: 'root' }, { accountId: '123456789012' }, { revokedAt: null }, { lastUsedAt: '2000-01-01T00:00:00Z' }],
      ok: [201],
      notCreated: async () => expect(await t.prisma.containerToken.count({ where: { accountId: A.accountId } })).toBe(0),
    },
    // STS over REST takes AWS's parameters and, as AWS does, ignores unknown ones (see the STS validation test below).
    {
      route: 'POST /v1/sts/get-session-token',
      path: () => '/v1/sts/get-session-token',
      who: 'root',
      body: () => ({ DurationSeconds: 900 }),
      extras: [],
      ok: [200],
    },
    {
      route: 'POST /v1/sts/assume-role',
      path: () => '/v1/sts/assume-role',
      who: 'root',
      body: () => ({ RoleArn: fx.roleArn, RoleSessionName: 'bad-input' }),
      extras: [],
      ok: [200],
    },
    {
      route: 'POST /v1/sts/get-federation-token',
      path: () => '/v1/sts/get-federation-token',
      who: 'root',
      body: () => ({ Name: 'bad-input' }),
      extras: [],
      ok: [200],
    },
    {
      route: 'POST /v1/sts/assume-role-with-web-identity',
      path: () => '/v1/sts/assume-role-with-web-identity',
      who: 'none',
      body: () => ({ RoleArn: fx.roleArn, RoleSessionName: 'bad-input', WebIdentityToken: 'not.a.jwt' }),
      extras: [],
      // A well-formed request: it gets as far as checking the token.
      ok: [400, 'InvalidIdentityToken'],
    },
    {
      route: 'POST /v1/sts/get-caller-identity',
      path: () => '/v1/sts/get-caller-identity',
      who: 'root',
      // Takes no body.
      extras: [],
      ok: [200],
    },
    {
      // The AWS Query endpoint reads its form body itself (no JSON body, XML errors): its bad input is
      // covered by aws-query-bad-input.e2e.spec.ts. Without parameters it is AWS's 400 MissingAction.
      route: 'POST /',
      path: () => '/',
      who: 'none',
      extras: [],
      ok: [400],
    },
    {
      // After the STS rows: the refused bodies must not revoke the sessions they issued.
      route: 'POST /v1/accounts/:accountId/sts/revocations',
      path: () => `${acct()}/sts/revocations`,
      who: 'root',
      body: () => ({ all: true }),
      extras: [{ accountId: '123456789012' }, { force: true }, { revokedAt: '2000-01-01T00:00:00Z' }, { sessions: [] }],
      ok: [200],
      notCreated: async () => expect(await t.prisma.stsSession.count({ where: { accountId: A.accountId, revokedAt: { not: null } } })).toBe(0),
    },
    {
      route: 'POST /v1/signin',
      path: () => '/v1/signin',
      who: 'none',
      body: () => ({ account: A.accountId, userName: fx.user, password: USER_PASSWORD }),
      extras: [{ isRoot: true }, { accountId: '123456789012' }, { mfaAuthenticated: true }, { restriction: null }],
      ok: [200],
    },
    {
      route: 'POST /v1/signin/mfa',
      path: () => '/v1/signin/mfa',
      who: 'none',
      body: () => ({ challengeToken: 'cbch_not-a-real-challenge', mfaCode: '123456' }),
      extras: [{ userId: 'AIDAAAAAAAAAAAAAAAAAA' }, { skipMfa: true }],
      // A well-formed body: it gets as far as looking the challenge up.
      ok: [400, 'InvalidToken'],
    },
    {
      route: 'POST /v1/signout',
      path: () => '/v1/signout',
      who: 'root',
      extras: [],
      ok: [204],
    },
    {
      route: 'POST /v1/root/password-reset',
      path: () => '/v1/root/password-reset',
      who: 'none',
      body: () => ({ email: `${uniq('nobody-')}@example.test` }),
      extras: [{ accountId: '123456789012' }, { newPassword: 'x' }],
      ok: [202],
    },
    {
      route: 'POST /v1/root/password-reset/confirm',
      path: () => '/v1/root/password-reset/confirm',
      who: 'none',
      body: () => ({ token: 'cbrst_not-a-real-token', newPassword: 'Whatever-Passw0rd' }),
      extras: [{ email: 'x@example.test' }, { accountId: '123456789012' }],
      ok: [400, 'InvalidToken'],
    },
  ];

  it('the table lists every POST/PUT/PATCH route, and every route that reads a body, of the app', () => {
    const listed = table().map((r) => ({ route: r.route as string, takesBody: r.body !== undefined }));
    expect(new Set(listed.map((r) => r.route)).size).toBe(listed.length);
    expect([...listed].sort((a, b) => (a.route < b.route ? -1 : 1))).toEqual(bodyRoutes(t));
  });

  it('unknown body fields are refused with 400 ValidationError on every route that takes a body; the valid body then works', async () => {
    for (const r of table()) {
      for (const extra of r.extras) {
        const body = { ...r.body!(), ...extra };
        const res = await send(r.route.split(' ')[0] as Method, r.path(), r.who).send(body);
        expectError(res, 400, 'ValidationError', `${r.route} + ${JSON.stringify(extra)}`);
        for (const field of Object.keys(extra)) {
          if (!Object.keys(r.body!()).includes(field)) expect(res.body.error.message, r.route).toContain(field);
        }
        await r.notCreated?.();
      }
      const res = await (r.body ? send(r.route.split(' ')[0] as Method, r.path(), r.who).send(r.body()) : send(r.route.split(' ')[0] as Method, r.path(), r.who));
      expect(res.status, `${r.route} valid body: ${JSON.stringify(res.body)}`).toBe(r.ok[0]);
      if (r.ok[1]) expect(res.body.error.code).toBe(r.ok[1]);
      // Remember the MFA devices created here, for the enable/deactivate rows that follow.
      if (r.route === 'POST /v1/accounts/:accountId/users/:userName/mfa-devices') fx.userMfa = { serial: res.body.serialNumber, seed: res.body.base32StringSeed };
      if (r.route === 'POST /v1/accounts/:accountId/root/mfa-devices') fx.rootMfa = { serial: res.body.serialNumber, seed: res.body.base32StringSeed };
      if (r.route === 'POST /v1/accounts/:accountId/users/:userName/access-keys') fx.userKey = res.body.accessKey.accessKeyId;
      if (r.route === 'POST /v1/accounts/:accountId/root/access-keys') fx.rootKey = res.body.accessKey.accessKeyId;
      if (r.route === 'POST /v1/signout') {
        // Signed out: carry on with a fresh root session (root's password and email changed above; its MFA device is deactivated).
        const step1 = await t.http.post('/v1/signin').send({ account: A.accountId, email: (await t.prisma.user.findFirst({ where: { accountId: A.accountId, kind: 'ROOT' } }))!.email, password: 'Changed-R00t-Passw0rd' });
        expect(step1.status, JSON.stringify(step1.body)).toBe(200);
        A.rootToken = step1.body.sessionToken;
      }
    }
  });

  it('query strings are held to the same rule: unknown or ill-typed parameters are refused', async () => {
    const h = headersOf('root');
    for (const [path, label] of [
      [`${acct()}/users?isAdmin=true`, 'unknown query field'],
      [`${acct()}/users?maxItems=abc`, 'maxItems not a number'],
      [`${acct()}/users?maxItems=0`, 'maxItems below 1'],
      [`${acct()}/users?maxItems=1001`, 'maxItems above 1000'],
      [`${acct()}/users?pathPrefix=a&pathPrefix=b`, 'repeated parameter'],
      [`${acct()}/policies?scope=Everything`, 'scope not in the list'],
      [`${acct()}/roles?bogus=1`, 'roles: unknown query field'],
      [`${acct()}/roles?maxItems=0`, 'roles: maxItems below 1'],
      [`${acct()}/roles?pathPrefix=`, 'roles: empty pathPrefix'],
      [`${acct()}/sts/sessions?active=maybe`, 'sessions: active not true or false'],
      [`${acct()}/sts/sessions?limit=abc`, 'sessions: limit not a number'],
      [`${acct()}/sts/sessions?limit=1001`, 'sessions: limit above 1000'],
      [`${acct()}/sts/sessions?roleName=a%20b`, 'sessions: roleName not a role name'],
      [`${acct()}/sts/sessions?bogus=1`, 'sessions: unknown query field'],
      [`${acct()}/audit/export?from=yesterday`, 'export: from not a time'],
      [`${acct()}/audit/export?to=2026-13-45T00:00:00Z`, 'export: to not a time'],
      [`${acct()}/audit/export?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z`, 'export: from after to'],
      [`${acct()}/audit/export?bogus=1`, 'export: unknown query field'],
      [`${acct()}/audit/digests?maxItems=0`, 'digests: maxItems below 1'],
      [`${acct()}/audit/digests?after=abc`, 'digests: after not a number'],
      ['/v1/accounts?maxItems=-1', 'operator list'],
    ] as const) {
      const res = await t.http.get(path).set(path.startsWith('/v1/accounts?') ? headersOf('operator') : h);
      expectError(res, 400, 'ValidationError', label);
    }
    for (const query of [{ format: 'xml' }, { format: 'json', userName: 'other' }] as Record<string, string>[]) {
      const r = await t.http.post(`${acct()}/users/${fx.user}/access-keys`).set(h).query(query);
      expectError(r, 400, 'ValidationError', `create access key ?${new URLSearchParams(query)}`);
    }
    const del = await t.http.delete(`${acct()}/users/${fx.user}/attached-policies`).set(h).query({ policyArn: READ_ONLY, force: 'true' });
    expectError(del, 400, 'ValidationError', 'detach with extra query field');
    const roleDel = await t.http.delete(`${acct()}/roles/${fx.role}/attached-policies`).set(h).query({ policyArn: READ_ONLY, force: 'true' });
    expectError(roleDel, 400, 'ValidationError', 'role detach with extra query field');
    expect((await t.http.get(`${acct()}/users/${fx.user}/attached-policies`).set(h)).body.attachedPolicies.map((p: { policyArn: string }) => p.policyArn)).toContain(READ_ONLY);
  });

  it('wrong types are 400 ValidationError, never 500', async () => {
    const h = headersOf('root');
    const u = uniq('typed-');
    const trust = trustAccount(A.accountId);
    const cases: [Method, string, unknown, Who][] = [
      ['POST', `${acct()}/users`, { userName: 123 }, 'root'],
      ['PUT', `${acct()}/audit/retention`, { retentionDays: '7' }, 'root'],
      ['PUT', `${acct()}/audit/retention`, { retentionDays: 1.5 }, 'root'],
      ['PUT', `${acct()}/audit/retention`, {}, 'root'],
      ['POST', `${acct()}/users`, { userName: null }, 'root'],
      ['POST', `${acct()}/users`, { userName: [u] }, 'root'],
      ['POST', `${acct()}/users`, { userName: { $ne: '' } }, 'root'],
      ['POST', `${acct()}/users`, { userName: true }, 'root'],
      ['POST', `${acct()}/users`, { userName: u, path: 5 }, 'root'],
      ['POST', `${acct()}/users`, { userName: u, tags: 'team=blue' }, 'root'],
      ['POST', `${acct()}/users`, { userName: u, tags: [{ key: 1, value: 'v' }] }, 'root'],
      ['POST', `${acct()}/users`, { userName: u, tags: [null] }, 'root'],
      ['POST', `${acct()}/users`, { userName: u, tags: { key: 'k', value: 'v' } }, 'root'],
      ['PATCH', `${acct()}/users/${fx.user}`, { newUserName: 42 }, 'root'],
      ['PATCH', acct(), { requireRootMfa: 'false' }, 'root'],
      ['PATCH', acct(), { name: '' }, 'root'],
      ['PUT', `${acct()}/password-policy`, { minimumPasswordLength: '12' }, 'root'],
      ['PUT', `${acct()}/password-policy`, { requireSymbols: 'true' }, 'root'],
      ['PUT', `${acct()}/password-policy`, { passwordReusePrevention: 3.5 }, 'root'],
      ['PUT', `${acct()}/alias`, { alias: 7 }, 'root'],
      ['POST', `${acct()}/users/${fx.user}/login-profile`, { password: 12345678 }, 'root'],
      ['PATCH', `${acct()}/users/${fx.user}/login-profile`, { passwordResetRequired: 'yes' }, 'root'],
      ['POST', `${acct()}/users/${fx.user}/untag`, { tagKeys: 'team' }, 'root'],
      ['POST', `${acct()}/users/${fx.user}/untag`, { tagKeys: [1, 2] }, 'root'],
      ['POST', `${acct()}/policies`, { policyName: u, document: 'not an object' }, 'root'],
      ['POST', `${acct()}/policies`, { policyName: u, document: [POLICY] }, 'root'],
      ['POST', `${acct()}/users/${fx.user}/attached-policies`, { policyArn: ['arn:aws:iam::aws:policy/ReadOnlyAccess'] }, 'root'],
      ['POST', `${acct()}/users/${fx.user}/mfa-devices`, { deviceName: 1 }, 'root'],
      ['POST', `${acct()}/users/${fx.user}/mfa-devices/enable`, { serialNumber: 'arn:aws:iam::1:mfa/x', authenticationCode1: 123456, authenticationCode2: 654321 }, 'root'],
      ['POST', `${acct()}/groups`, { groupName: { name: u } }, 'root'],
      ['POST', '/v1/signin', { account: Number(A.accountId), userName: fx.user, password: USER_PASSWORD }, 'none'],
      ['POST', '/v1/signin', { account: A.accountId, userName: fx.user, password: true }, 'none'],
      ['POST', '/v1/signin', { account: A.accountId, userName: fx.user, password: USER_PASSWORD, mfaCode: 123456 }, 'none'],
      ['POST', '/v1/signin/mfa', { challengeToken: 1, mfaCode: '123456' }, 'none'],
      ['POST', '/v1/root/password-reset', { email: ['a@example.test'] }, 'none'],
      ['POST', '/v1/accounts', { name: 'X', rootEmail: `${u}@example.test`, rootPassword: 12345678 }, 'operator'],
      // roles
      ['POST', `${acct()}/roles`, { roleName: 123, assumeRolePolicyDocument: trust }, 'root'],
      ['POST', `${acct()}/roles`, { roleName: [u], assumeRolePolicyDocument: trust }, 'root'],
      ['POST', `${acct()}/roles`, { roleName: u, assumeRolePolicyDocument: [trust] }, 'root'],
      ['POST', `${acct()}/roles`, { roleName: u, assumeRolePolicyDocument: 5 }, 'root'],
      ['POST', `${acct()}/roles`, { roleName: u, assumeRolePolicyDocument: null }, 'root'],
      ['POST', `${acct()}/roles`, { roleName: u }, 'root'],
      ['POST', `${acct()}/roles`, { roleName: u, assumeRolePolicyDocument: trust, path: 5 }, 'root'],
      ['POST', `${acct()}/roles`, { roleName: u, assumeRolePolicyDocument: trust, description: ['x'] }, 'root'],
      ['POST', `${acct()}/roles`, { roleName: u, assumeRolePolicyDocument: trust, maxSessionDuration: '3600' }, 'root'],
      ['POST', `${acct()}/roles`, { roleName: u, assumeRolePolicyDocument: trust, maxSessionDuration: 3600.5 }, 'root'],
      ['POST', `${acct()}/roles`, { roleName: u, assumeRolePolicyDocument: trust, maxSessionDuration: 100 }, 'root'],
      ['POST', `${acct()}/roles`, { roleName: u, assumeRolePolicyDocument: trust, tags: 'team=blue' }, 'root'],
      ['POST', `${acct()}/roles`, { roleName: u, assumeRolePolicyDocument: trust, tags: [{ Key: 1, Value: 'v' }] }, 'root'],
      ['POST', `${acct()}/roles`, { roleName: u, assumeRolePolicyDocument: trust, tags: [{ Key: 'k', Value: 'v', Admin: true }] }, 'root'],
      ['POST', `${acct()}/roles`, { roleName: u, assumeRolePolicyDocument: trust, tags: { team: 1 } }, 'root'],
      ['POST', `${acct()}/roles`, { roleName: u, assumeRolePolicyDocument: trust, claimMapping: 'sub' }, 'root'],
      ['POST', `${acct()}/roles`, { roleName: u, assumeRolePolicyDocument: trust, claimMapping: { sessionTags: { team: 5 } } }, 'root'],
      ['POST', `${acct()}/roles`, { roleName: u, assumeRolePolicyDocument: trust, claimMapping: { isAdmin: 'sub' } }, 'root'],
      ['POST', `${acct()}/roles`, { roleName: u, assumeRolePolicyDocument: trust, awsRoleArn: 7 }, 'root'],
      ['PATCH', `${acct()}/roles/${fx.role}`, { description: 5 }, 'root'],
      ['PATCH', `${acct()}/roles/${fx.role}`, { maxSessionDuration: '3600' }, 'root'],
      ['PATCH', `${acct()}/roles/${fx.role}`, { maxSessionDuration: null }, 'root'],
      ['PATCH', `${acct()}/roles/${fx.role}`, { claimMapping: [] }, 'root'],
      ['PATCH', `${acct()}/roles/${fx.role}`, { claimMapping: null }, 'root'],
      ['PATCH', `${acct()}/roles/${fx.role}`, { awsRoleArn: 5 }, 'root'],
      ['PUT', `${acct()}/roles/${fx.role}/trust-policy`, { document: 42 }, 'root'],
      ['PUT', `${acct()}/roles/${fx.role}/trust-policy`, { document: null }, 'root'],
      ['PUT', `${acct()}/roles/${fx.role}/trust-policy`, { document: [trust] }, 'root'],
      ['PUT', `${acct()}/roles/${fx.role}/trust-policy`, {}, 'root'],
      ['POST', `${acct()}/roles/${fx.role}/attached-policies`, { policyArn: [READ_ONLY] }, 'root'],
      ['PUT', `${acct()}/roles/${fx.role}/inline-policies/typed`, { document: [POLICY] }, 'root'],
      // OIDC providers
      ['POST', `${acct()}/oidc-providers`, { url: 5, clientIdList: ['sts.amazonaws.com'] }, 'root'],
      ['POST', `${acct()}/oidc-providers`, { url: null, clientIdList: ['sts.amazonaws.com'] }, 'root'],
      ['POST', `${acct()}/oidc-providers`, { url: `https://${u}.example.com`, clientIdList: 'sts.amazonaws.com' }, 'root'],
      ['POST', `${acct()}/oidc-providers`, { url: `https://${u}.example.com`, clientIdList: [1] }, 'root'],
      ['POST', `${acct()}/oidc-providers`, { url: `https://${u}.example.com`, clientIdList: [] }, 'root'],
      ['POST', `${acct()}/oidc-providers`, { url: `https://${u}.example.com` }, 'root'],
      ['POST', `${acct()}/oidc-providers`, { url: `https://${u}.example.com`, clientIdList: ['a'], jwksUri: 5 }, 'root'],
      ['POST', `${acct()}/oidc-providers`, { url: `https://${u}.example.com`, clientIdList: ['a'], jwks: { keys: 'x' } }, 'root'],
      ['POST', `${acct()}/oidc-providers`, { url: `https://${u}.example.com`, clientIdList: ['a'], jwks: [] }, 'root'],
      ['POST', `${acct()}/oidc-providers`, { url: `https://${u}.example.com`, clientIdList: ['a'], jwks: { keys: [null] } }, 'root'],
      ['POST', `${acct()}/oidc-providers`, { url: `https://${u}.example.com`, clientIdList: ['a'], thumbprintList: ['abc'] }, 'root'],
      ['POST', `${acct()}/oidc-providers`, { url: `https://${u}.example.com`, clientIdList: ['a'], thumbprintList: 'abc' }, 'root'],
      ['PATCH', `${acct()}/oidc-providers/${fx.oidcProvider}`, { clientIdList: 'sts.amazonaws.com' }, 'root'],
      ['PATCH', `${acct()}/oidc-providers/${fx.oidcProvider}`, { clientIdList: [] }, 'root'],
      ['PATCH', `${acct()}/oidc-providers/${fx.oidcProvider}`, { jwksUri: 5 }, 'root'],
      ['PATCH', `${acct()}/oidc-providers/${fx.oidcProvider}`, { jwks: 'x' }, 'root'],
      ['PATCH', `${acct()}/oidc-providers/${fx.oidcProvider}`, {}, 'root'],
      // STS session revocations
      ['POST', `${acct()}/sts/revocations`, {}, 'root'],
      ['POST', `${acct()}/sts/revocations`, { all: 'true' }, 'root'],
      ['POST', `${acct()}/sts/revocations`, { all: false }, 'root'],
      ['POST', `${acct()}/sts/revocations`, { all: true, roleName: fx.role }, 'root'],
      ['POST', `${acct()}/sts/revocations`, { accessKeyId: 5 }, 'root'],
      ['POST', `${acct()}/sts/revocations`, { principalArn: {} }, 'root'],
      ['POST', `${acct()}/sts/revocations`, { roleName: [fx.role] }, 'root'],
      ['POST', `${acct()}/sts/revocations`, { all: true, issuedBefore: 5 }, 'root'],
      ['POST', `${acct()}/sts/revocations`, { all: true, issuedBefore: 'yesterday' }, 'root'],
      // container tokens
      ['POST', `${acct()}/container-tokens`, { name: 5, roleArn: fx.roleArn }, 'root'],
      ['POST', `${acct()}/container-tokens`, { name: u, roleArn: 5 }, 'root'],
      ['POST', `${acct()}/container-tokens`, { name: u }, 'root'],
      ['POST', `${acct()}/container-tokens`, { name: 'a b', roleArn: fx.roleArn }, 'root'],
      ['POST', `${acct()}/container-tokens`, { name: u, roleArn: 'not-a-role-arn-at-all' }, 'root'],
      ['POST', `${acct()}/container-tokens`, { name: u, roleArn: fx.roleArn, durationSeconds: '3600' }, 'root'],
      ['POST', `${acct()}/container-tokens`, { name: u, roleArn: fx.roleArn, durationSeconds: 900.5 }, 'root'],
      ['POST', `${acct()}/container-tokens`, { name: u, roleArn: fx.roleArn, durationSeconds: 43_200 }, 'root'],
      ['POST', `${acct()}/container-tokens`, { name: u, roleArn: fx.roleArn, policy: 5 }, 'root'],
      ['POST', `${acct()}/container-tokens`, { name: u, roleArn: fx.roleArn, policy: [] }, 'root'],
      ['POST', `${acct()}/container-tokens`, { name: u, roleArn: fx.roleArn, policyArns: READ_ONLY }, 'root'],
      ['POST', `${acct()}/container-tokens`, { name: u, roleArn: fx.roleArn, policyArns: [1] }, 'root'],
      ['POST', `${acct()}/container-tokens`, { name: u, roleArn: fx.roleArn, policyArns: ['not-a-policy-arn-at-all'] }, 'root'],
      ['POST', `${acct()}/container-tokens`, { name: u, roleArn: fx.roleArn, expiresInSeconds: '60' }, 'root'],
      ['POST', `${acct()}/container-tokens`, { name: u, roleArn: fx.roleArn, expiresInSeconds: 10 }, 'root'],
    ];
    const tokensBefore = await t.prisma.containerToken.count({ where: { accountId: A.accountId } });
    const idpsBefore = await t.prisma.oidcProvider.count({ where: { accountId: A.accountId } });
    for (const [method, path, body, who] of cases) {
      const res = await send(method, path, who).send(body as object);
      expectError(res, 400, 'ValidationError', `${method} ${path} ${JSON.stringify(body)}`);
    }
    expect((await t.http.get(`${acct()}/users/${u}`).set(h)).status).toBe(404);
    expect((await t.http.get(`${acct()}/roles/${u}`).set(h)).status).toBe(404);
    expect(await t.prisma.containerToken.count({ where: { accountId: A.accountId } })).toBe(tokensBefore);
    expect(await t.prisma.oidcProvider.count({ where: { accountId: A.accountId } })).toBe(idpsBefore);
    expect((await t.http.get(`${acct()}/oidc-providers/${fx.oidcProvider}`).set(h)).body.clientIdList).toEqual(['sts.amazonaws.com', 'other-audience']);
  });

  it('malformed JSON is 400 ValidationError, on public, operator and account routes alike', async () => {
    const targets: [string, Who][] = [
      [`${acct()}/users`, 'root'],
      ['/v1/signin', 'none'],
      ['/v1/accounts', 'operator'],
      [`${acct()}/roles`, 'root'],
      [`${acct()}/oidc-providers`, 'root'],
      [`${acct()}/container-tokens`, 'root'],
      [`${acct()}/sts/revocations`, 'root'],
      ['/v1/sts/get-session-token', 'root'],
      ['/v1/sts/assume-role', 'root'],
      ['/v1/sts/get-federation-token', 'root'],
      ['/v1/sts/assume-role-with-web-identity', 'none'],
    ];
    const bodies = ['{"userName":', '{userName:"x"}', "{'userName':'x'}", '{"userName":"x",}', 'nul', '{"a":1}{"b":2}', '\u0000', '{"a":"\\x"}'];
    for (const [path, who] of targets) {
      for (const raw of bodies) {
        const res = await send('POST', path, who).set('content-type', 'application/json').send(raw);
        expectError(res, 400, 'ValidationError', `${path} ${JSON.stringify(raw)}`);
      }
      // Declared JSON but empty.
      expectError(await send('POST', path, who).set('content-type', 'application/json').send(''), 400, 'ValidationError', `${path} empty`);
    }
    // Prototype pollution attempts are refused outright.
    for (const raw of ['{"userName":"x","__proto__":{"isAdmin":true}}', '{"userName":"x","constructor":{"prototype":{"isAdmin":true}}}']) {
      const res = await send('POST', `${acct()}/users`, 'root').set('content-type', 'application/json').send(raw);
      expectError(res, 400, 'ValidationError', raw);
    }
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
  });

  it('a JSON body that is not an object (array, string, number, boolean, null) is 400 ValidationError and changes nothing', async () => {
    const before = await t.http.get(acct()).set(headersOf('root'));
    const policyBefore = await t.http.get(`${acct()}/password-policy`).set(headersOf('root'));
    const targets: [Method, string, Who][] = [
      ['POST', `${acct()}/users`, 'root'],
      // Routes whose fields are all optional: an empty stand-in must not pass for a valid request.
      ['PATCH', acct(), 'root'],
      ['PUT', `${acct()}/password-policy`, 'root'],
      ['PATCH', `${acct()}/users/${fx.user}`, 'root'],
      ['PATCH', `${acct()}/users/${fx.noProfile}/login-profile`, 'root'],
      ['POST', '/v1/signin', 'none'],
      ['POST', '/v1/signin/mfa', 'none'],
      ['POST', '/v1/accounts', 'operator'],
      ['POST', `${acct()}/roles`, 'root'],
      ['PATCH', `${acct()}/roles/${fx.role}`, 'root'],
      ['PUT', `${acct()}/roles/${fx.role}/trust-policy`, 'root'],
      ['POST', `${acct()}/oidc-providers`, 'root'],
      ['PATCH', `${acct()}/oidc-providers/${fx.oidcProvider}`, 'root'],
      ['POST', `${acct()}/container-tokens`, 'root'],
      // An empty request body means "revoke nothing" to no one: {"all": true} must be said.
      ['POST', `${acct()}/sts/revocations`, 'root'],
      // The STS parameters are all optional here: a JSON null or an array must not pass for an empty request.
      ['POST', '/v1/sts/get-session-token', 'root'],
      ['POST', '/v1/sts/assume-role', 'root'],
      ['POST', '/v1/sts/get-federation-token', 'root'],
      ['POST', '/v1/sts/assume-role-with-web-identity', 'none'],
    ];
    const sessionsBefore = await t.prisma.stsSession.count({ where: { accountId: A.accountId } });
    for (const [method, path, who] of targets) {
      for (const raw of ['[]', '[{"userName":"x"}]', '"x"', '1', 'true', 'null']) {
        const res = await send(method, path, who).set('content-type', 'application/json').send(raw);
        expectError(res, 400, 'ValidationError', `${method} ${path} ${raw}`);
      }
    }
    const after = await t.http.get(acct()).set(headersOf('root'));
    expect(after.body).toEqual(before.body);
    expect(await t.prisma.stsSession.count({ where: { accountId: A.accountId } })).toBe(sessionsBefore);
    expect((await t.http.get(`${acct()}/password-policy`).set(headersOf('root'))).body).toEqual(policyBefore.body);
  });

  it('a body over 1 MiB is 413 PayloadTooLarge (before authentication); just under it is read', async () => {
    const big = JSON.stringify({ userName: 'x', pad: 'x'.repeat(1024 * 1024 + 10) });
    for (const [path, who] of [
      [`${acct()}/users`, 'root'],
      [`${acct()}/users`, 'none'],
      ['/v1/signin', 'none'],
      ['/v1/accounts', 'operator'],
      ['/v1/sts/assume-role-with-web-identity', 'none'],
      ['/v1/sts/assume-role', 'root'],
    ] as [string, Who][]) {
      const res = await send('POST', path, who).set('content-type', 'application/json').send(big);
      expectError(res, 413, 'PayloadTooLarge', `${path} as ${who}`);
    }
    const under = JSON.stringify({ userName: 'x'.repeat(1024 * 1024 - 100) });
    expect(under.length).toBeLessThan(1024 * 1024);
    expectError(await send('POST', `${acct()}/users`, 'root').set('content-type', 'application/json').send(under), 400, 'ValidationError', 'just under the limit');
  });

  it('a body that is not JSON is 415 UnsupportedMediaType; JSON with a charset is fine', async () => {
    const u = uniq('ct-');
    for (const [type, raw] of [
      ['text/plain', `{"userName":"${u}"}`],
      ['text/plain', u],
      ['application/x-www-form-urlencoded', `userName=${u}`],
      ['application/xml', `<userName>${u}</userName>`],
      ['multipart/form-data; boundary=x', `--x\r\nContent-Disposition: form-data; name="userName"\r\n\r\n${u}\r\n--x--\r\n`],
      ['application/octet-stream', u],
      ['image/png', u],
    ] as const) {
      const res = await send('POST', `${acct()}/users`, 'root').set('content-type', type).send(raw);
      expectError(res, 415, 'UnsupportedMediaType', type);
    }
    // STS takes JSON here (AWS's form-encoded Query API is another transport): a form post is refused, on the public route too.
    for (const [path, who] of [
      ['/v1/sts/assume-role-with-web-identity', 'none'],
      ['/v1/sts/get-session-token', 'root'],
    ] as [string, Who][]) {
      const res = await send('POST', path, who).type('form').send({ RoleArn: fx.roleArn, RoleSessionName: 'form', WebIdentityToken: 'a.b.c', DurationSeconds: '900' });
      expectError(res, 415, 'UnsupportedMediaType', `form ${path}`);
    }
    // Sign-in by an HTML form (login CSRF) is refused too.
    const form = await t.http.post('/v1/signin').type('form').send({ account: A.accountId, userName: fx.user, password: USER_PASSWORD });
    expectError(form, 415, 'UnsupportedMediaType', 'form sign-in');
    expect((await t.http.get(`${acct()}/users/${u}`).set(headersOf('root'))).status).toBe(404);
    const ok = await send('POST', `${acct()}/users`, 'root').set('content-type', 'application/json; charset=utf-8').send(JSON.stringify({ userName: u }));
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
  });

  it('over-long strings, lists and documents are refused with a 4xx, never 500', async () => {
    const h = headersOf('root');
    const u = uniq('long-');
    const trust = trustAccount(A.accountId);
    const x = (n: number) => 'x'.repeat(n);
    const cases: [Method, string, object | undefined, number, string][] = [
      ['POST', `${acct()}/roles`, { roleName: x(65), assumeRolePolicyDocument: trust }, 400, 'ValidationError'],
      ['POST', `${acct()}/roles`, { roleName: u, path: `/${x(600)}/`, assumeRolePolicyDocument: trust }, 400, 'ValidationError'],
      ['POST', `${acct()}/roles`, { roleName: u, description: x(1001), assumeRolePolicyDocument: trust }, 400, 'ValidationError'],
      ['POST', `${acct()}/roles`, { roleName: u, assumeRolePolicyDocument: trust, tags: { [x(129)]: 'v' } }, 400, 'ValidationError'],
      ['POST', `${acct()}/roles`, { roleName: u, assumeRolePolicyDocument: trust, tags: { k: x(257) } }, 400, 'ValidationError'],
      ['POST', `${acct()}/roles`, { roleName: u, assumeRolePolicyDocument: trust, awsRoleArn: x(2049) }, 400, 'ValidationError'],
      ['POST', `${acct()}/roles`, { roleName: u, assumeRolePolicyDocument: trust, claimMapping: { sourceIdentity: x(129) } }, 400, 'ValidationError'],
      // IAM's quota on a trust policy's size (ACLSizePerRole).
      ['POST', `${acct()}/roles`, { roleName: u, assumeRolePolicyDocument: x(5000) }, 409, 'LimitExceeded'],
      ['PATCH', `${acct()}/roles/${fx.role}`, { description: x(1001) }, 400, 'ValidationError'],
      ['PATCH', `${acct()}/roles/${fx.role}`, { awsRoleArn: x(2049) }, 400, 'ValidationError'],
      ['PUT', `${acct()}/roles/${fx.role}/trust-policy`, { document: x(100_000) }, 409, 'LimitExceeded'],
      ['PUT', `${acct()}/roles/${fx.role}/inline-policies/long`, { document: { ...POLICY, Statement: [{ Effect: 'Allow', Action: `iam:${x(20_000)}`, Resource: '*' }] } }, 409, 'LimitExceeded'],
      ['PUT', `${acct()}/roles/${fx.role}/inline-policies/${x(200)}`, { document: POLICY }, 400, 'ValidationError'],
      ['POST', `${acct()}/roles/${fx.role}/attached-policies`, { policyArn: `arn:aws:iam::aws:policy/${x(3000)}` }, 400, 'ValidationError'],
      ['GET', `${acct()}/roles/${x(3000)}`, undefined, 400, 'ValidationError'],
      ['POST', `${acct()}/oidc-providers`, { url: `https://${x(250)}.example.com`, clientIdList: ['a'] }, 400, 'ValidationError'],
      ['POST', `${acct()}/oidc-providers`, { url: `https://${u}.example.com`, clientIdList: [x(256)] }, 400, 'ValidationError'],
      ['POST', `${acct()}/oidc-providers`, { url: `https://${u}.example.com`, clientIdList: Array.from({ length: 101 }, (_, i) => `aud-${i}`) }, 400, 'ValidationError'],
      ['POST', `${acct()}/oidc-providers`, { url: `https://${u}.example.com`, clientIdList: ['a'], jwksUri: `https://${u}.example.com/${x(2049)}` }, 400, 'ValidationError'],
      ['POST', `${acct()}/oidc-providers`, { url: `https://${u}.example.com`, clientIdList: ['a'], jwks: { keys: Array.from({ length: 101 }, () => ({ kty: 'EC' })) } }, 400, 'ValidationError'],
      ['POST', `${acct()}/oidc-providers`, { url: `https://${u}.example.com`, clientIdList: ['a'], thumbprintList: Array.from({ length: 6 }, () => 'a'.repeat(40)) }, 400, 'ValidationError'],
      ['PATCH', `${acct()}/oidc-providers/${fx.oidcProvider}`, { clientIdList: [x(256)] }, 400, 'ValidationError'],
      ['PATCH', `${acct()}/oidc-providers/${fx.oidcProvider}`, { jwksUri: `https://${u}.example.com/${x(2049)}` }, 400, 'ValidationError'],
      ['GET', `${acct()}/oidc-providers/${x(3000)}`, undefined, 400, 'ValidationError'],
      ['POST', `${acct()}/sts/revocations`, { accessKeyId: `ASIA${x(200)}` }, 400, 'ValidationError'],
      ['POST', `${acct()}/sts/revocations`, { principalArn: `arn:aws:iam::${A.accountId}:user/${x(3000)}` }, 400, 'ValidationError'],
      ['POST', `${acct()}/sts/revocations`, { roleName: x(65) }, 400, 'ValidationError'],
      ['POST', `${acct()}/container-tokens`, { name: x(65), roleArn: fx.roleArn }, 400, 'ValidationError'],
      ['POST', `${acct()}/container-tokens`, { name: u, roleArn: `arn:aws:iam::${A.accountId}:role/${x(2049)}` }, 400, 'ValidationError'],
      ['POST', `${acct()}/container-tokens`, { name: u, roleArn: fx.roleArn, policy: JSON.stringify({ ...POLICY, Sid: x(3000) }) }, 400, 'ValidationError'],
      ['POST', `${acct()}/container-tokens`, { name: u, roleArn: fx.roleArn, policyArns: Array.from({ length: 11 }, () => READ_ONLY) }, 400, 'ValidationError'],
      ['POST', `${acct()}/container-tokens`, { name: u, roleArn: fx.roleArn, policyArns: [`arn:aws:iam::aws:policy/${x(2049)}`] }, 400, 'ValidationError'],
      ['POST', `${acct()}/container-tokens`, { name: u, roleArn: fx.roleArn, expiresInSeconds: 1e12 }, 400, 'ValidationError'],
    ];
    const tokensBefore = await t.prisma.containerToken.count({ where: { accountId: A.accountId } });
    for (const [method, path, body, status, code] of cases) {
      const label = `${method} ${path.slice(0, 120)} ${JSON.stringify(body ?? null).slice(0, 160)}`;
      const req = send(method, path, 'root');
      expectError(await (body ? req.send(body) : req), status, code, label);
    }
    expect((await t.http.get(`${acct()}/roles/${u}`).set(h)).status).toBe(404);
    expect(await t.prisma.oidcProvider.count({ where: { accountId: A.accountId, url: `https://${u}.example.com` } })).toBe(0);
    expect(await t.prisma.containerToken.count({ where: { accountId: A.accountId } })).toBe(tokensBefore);
  });

  it('STS parameters are checked the AWS way: one ValidationError listing each violated constraint; secrets never echoed; nothing issued', async () => {
    const role = fx.roleArn;
    const x = (n: number) => 'x'.repeat(n);
    /** [route, body, who, status, code, what the message must say] */
    type Expect = { violations: [number, ...string[]] } | { message: string | RegExp };
    const cases: [string, Record<string, unknown>, Who, number, string, Expect][] = [
      // GetSessionToken
      ['get-session-token', { DurationSeconds: 'abc' }, 'root', 400, 'ValidationError', { violations: [1, 'durationSeconds'] }],
      ['get-session-token', { DurationSeconds: true }, 'root', 400, 'ValidationError', { violations: [1, 'durationSeconds'] }],
      ['get-session-token', { DurationSeconds: 900.5 }, 'root', 400, 'ValidationError', { violations: [1, 'durationSeconds'] }],
      ['get-session-token', { DurationSeconds: 899 }, 'root', 400, 'ValidationError', { violations: [1, 'durationSeconds'] }],
      ['get-session-token', { DurationSeconds: 129_601 }, 'root', 400, 'ValidationError', { violations: [1, 'durationSeconds'] }],
      ['get-session-token', { DurationSeconds: 1e300 }, 'root', 400, 'ValidationError', { violations: [1, 'durationSeconds'] }],
      ['get-session-token', { DurationSeconds: '9'.repeat(400) }, 'root', 400, 'ValidationError', { violations: [1, 'durationSeconds'] }],
      ['get-session-token', { SerialNumber: x(257), TokenCode: '123456' }, 'root', 400, 'ValidationError', { violations: [1, 'serialNumber'] }],
      ['get-session-token', { SerialNumber: 'a b', TokenCode: '12345a' }, 'root', 400, 'ValidationError', { violations: [2, 'serialNumber', 'tokenCode'] }],
      ['get-session-token', { SerialNumber: `arn:aws:iam::${A.accountId}:mfa/x`, TokenCode: '1234567' }, 'root', 400, 'ValidationError', { violations: [1, 'tokenCode'] }],
      ['get-session-token', { SerialNumber: `arn:aws:iam::${A.accountId}:mfa/x` }, 'root', 400, 'ValidationError', { message: 'TokenCode is required when SerialNumber is provided.' }],
      ['get-session-token', { TokenCode: '123456' }, 'root', 400, 'ValidationError', { message: 'SerialNumber is required when TokenCode is provided.' }],
      // AssumeRole
      ['assume-role', {}, 'root', 400, 'ValidationError', { violations: [2, 'roleArn', 'roleSessionName'] }],
      ['assume-role', { RoleArn: { a: 1 }, RoleSessionName: ['s'] }, 'root', 400, 'ValidationError', { violations: [2, 'roleArn', 'roleSessionName'] }],
      ['assume-role', { RoleArn: x(2049), RoleSessionName: x(65) }, 'root', 400, 'ValidationError', { violations: [2, 'roleArn', 'roleSessionName'] }],
      ['assume-role', { RoleArn: `arn:aws:iam::${A.accountId}:role/`, RoleSessionName: 's1' }, 'root', 400, 'ValidationError', { violations: [1, 'roleArn'] }],
      ['assume-role', { RoleArn: 'arn:aws:s3:::bucket/role/x', RoleSessionName: 's1' }, 'root', 400, 'ValidationError', { violations: [1, 'roleArn'] }],
      ['assume-role', { RoleArn: role, RoleSessionName: 'bad name!' }, 'root', 400, 'ValidationError', { violations: [1, 'roleSessionName'] }],
      ['assume-role', { RoleArn: role, RoleSessionName: 's' }, 'root', 400, 'ValidationError', { violations: [1, 'roleSessionName'] }],
      ['assume-role', { RoleArn: role, RoleSessionName: 's1', DurationSeconds: 100 }, 'root', 400, 'ValidationError', { violations: [1, 'durationSeconds'] }],
      ['assume-role', { RoleArn: role, RoleSessionName: 's1', DurationSeconds: 43_201 }, 'root', 400, 'ValidationError', { violations: [1, 'durationSeconds'] }],
      ['assume-role', { RoleArn: role, RoleSessionName: 's1', DurationSeconds: 7200 }, 'root', 400, 'ValidationError', { message: 'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.' }],
      ['assume-role', { RoleArn: role, RoleSessionName: 's1', Tags: Array.from({ length: 51 }, (_, i) => ({ Key: `k${i}`, Value: 'v' })) }, 'root', 400, 'ValidationError', { violations: [1, 'tags'] }],
      ['assume-role', { RoleArn: role, RoleSessionName: 's1', Tags: [{ Key: x(129), Value: 'v' }] }, 'root', 400, 'ValidationError', { violations: [1, 'tags.1.member.key'] }],
      ['assume-role', { RoleArn: role, RoleSessionName: 's1', Tags: [{ Key: 'k', Value: x(257) }] }, 'root', 400, 'ValidationError', { violations: [1, 'tags.1.member.value'] }],
      ['assume-role', { RoleArn: role, RoleSessionName: 's1', Tags: [{ Key: 'k' }] }, 'root', 400, 'ValidationError', { violations: [1, 'tags.1.member.value'] }],
      ['assume-role', { RoleArn: role, RoleSessionName: 's1', Tags: [[]] }, 'root', 400, 'ValidationError', { violations: [1, 'tags.1.member'] }],
      ['assume-role', { RoleArn: role, RoleSessionName: 's1', Tags: { Key: 'k', Value: 'v' } }, 'root', 400, 'ValidationError', { violations: [1, 'tags'] }],
      ['assume-role', { RoleArn: role, RoleSessionName: 's1', Tags: [{ Key: 'aws:k', Value: 'v' }] }, 'root', 400, 'ValidationError', { violations: [1, 'tags.1.member.key'] }],
      ['assume-role', { RoleArn: role, RoleSessionName: 's1', Tags: [{ Key: 'a', Value: '1' }, { Key: 'A', Value: '2' }] }, 'root', 400, 'ValidationError', { message: 'Duplicate tag keys found. Please note that Tag keys are case insensitive.' }],
      ['assume-role', { RoleArn: role, RoleSessionName: 's1', Tags: [{ Key: 'a', Value: '1' }], TransitiveTagKeys: ['b'] }, 'root', 400, 'ValidationError', { message: "The transitive tag key 'b' must be one of the keys in Tags." }],
      ['assume-role', { RoleArn: role, RoleSessionName: 's1', TransitiveTagKeys: 'a' }, 'root', 400, 'ValidationError', { violations: [1, 'transitiveTagKeys'] }],
      ['assume-role', { RoleArn: role, RoleSessionName: 's1', PolicyArns: Array.from({ length: 11 }, () => READ_ONLY) }, 'root', 400, 'ValidationError', { violations: [1, 'policyArns'] }],
      ['assume-role', { RoleArn: role, RoleSessionName: 's1', PolicyArns: [[]] }, 'root', 400, 'ValidationError', { violations: [1, 'policyArns.1.member'] }],
      ['assume-role', { RoleArn: role, RoleSessionName: 's1', PolicyArns: [{ arn: 'arn:aws:s3:::bucket/policy/x' }] }, 'root', 400, 'ValidationError', { violations: [1, 'policyArns.1.member.arn'] }],
      ['assume-role', { RoleArn: role, RoleSessionName: 's1', ExternalId: x(1225) }, 'root', 400, 'ValidationError', { violations: [1, 'externalId'] }],
      ['assume-role', { RoleArn: role, RoleSessionName: 's1', ExternalId: 'a' }, 'root', 400, 'ValidationError', { violations: [1, 'externalId'] }],
      ['assume-role', { RoleArn: role, RoleSessionName: 's1', SourceIdentity: 'aws:me' }, 'root', 400, 'ValidationError', { violations: [1, 'sourceIdentity'] }],
      ['assume-role', { RoleArn: role, RoleSessionName: 's1', Policy: x(2049) }, 'root', 400, 'ValidationError', { violations: [1, 'policy'] }],
      ['assume-role', { RoleArn: role, RoleSessionName: 's1', Policy: `${'é'.repeat(10)}\u0100` }, 'root', 400, 'ValidationError', { violations: [1, 'policy'] }],
      ['assume-role', { RoleArn: role, RoleSessionName: 's1', Policy: 5 }, 'root', 400, 'ValidationError', { violations: [1, 'policy'] }],
      ['assume-role', { RoleArn: role, RoleSessionName: 's1', Policy: 'not json' }, 'root', 400, 'MalformedPolicyDocument', { message: 'The policy is not in the valid JSON format.' }],
      ['assume-role', { RoleArn: role, RoleSessionName: 's1', Policy: JSON.stringify({ ...POLICY, Statement: [{ ...POLICY.Statement[0], Principal: '*' }] }) }, 'root', 400, 'MalformedPolicyDocument', { message: 'Session policies must not specify a Principal or NotPrincipal.' }],
      ['assume-role', { RoleArn: role, RoleSessionName: 's1', PolicyArns: HUGE_POLICY_ARNS }, 'root', 400, 'PackedPolicyTooLarge', { message: /^Packed policy consumes \d+% of allotted space/ }],
      // GetFederationToken
      ['get-federation-token', {}, 'root', 400, 'ValidationError', { violations: [1, 'name'] }],
      ['get-federation-token', { Name: x(33) }, 'root', 400, 'ValidationError', { violations: [1, 'name'] }],
      ['get-federation-token', { Name: 'a b' }, 'root', 400, 'ValidationError', { violations: [1, 'name'] }],
      ['get-federation-token', { Name: 7 }, 'root', 400, 'ValidationError', { violations: [1, 'name'] }],
      ['get-federation-token', { Name: 'fed', DurationSeconds: 200_000 }, 'root', 400, 'ValidationError', { violations: [1, 'durationSeconds'] }],
      ['get-federation-token', { Name: 'fed', Tags: [{ Key: 'aws:x', Value: 'v' }] }, 'root', 400, 'ValidationError', { violations: [1, 'tags.1.member.key'] }],
      ['get-federation-token', { Name: 'fed', Policy: '{}' }, 'root', 400, 'MalformedPolicyDocument', { message: /^Syntax errors in policy/ }],
      ['get-federation-token', { Name: 'fed', PolicyArns: HUGE_POLICY_ARNS }, 'root', 400, 'PackedPolicyTooLarge', { message: /^Packed policy consumes \d+% of allotted space/ }],
      // AssumeRoleWithWebIdentity (public: the token is the proof)
      ['assume-role-with-web-identity', {}, 'none', 400, 'ValidationError', { violations: [3, 'roleArn', 'roleSessionName', 'webIdentityToken'] }],
      ['assume-role-with-web-identity', { RoleArn: role, RoleSessionName: 's1', WebIdentityToken: 'abc' }, 'none', 400, 'ValidationError', { violations: [1, 'webIdentityToken'] }],
      ['assume-role-with-web-identity', { RoleArn: role, RoleSessionName: 's1', WebIdentityToken: `secret-${x(20_000)}` }, 'none', 400, 'ValidationError', { violations: [1, 'webIdentityToken'] }],
      ['assume-role-with-web-identity', { RoleArn: role, RoleSessionName: 's1', WebIdentityToken: 12345 }, 'none', 400, 'ValidationError', { violations: [1, 'webIdentityToken'] }],
      ['assume-role-with-web-identity', { RoleArn: role, RoleSessionName: 's1', WebIdentityToken: 'a.b.c', DurationSeconds: 50_000 }, 'none', 400, 'ValidationError', { violations: [1, 'durationSeconds'] }],
      ['assume-role-with-web-identity', { RoleArn: 'not-a-role-arn', RoleSessionName: 's1', WebIdentityToken: 'a.b.c' }, 'none', 400, 'ValidationError', { violations: [1, 'roleArn'] }],
      ['assume-role-with-web-identity', { RoleArn: role, RoleSessionName: 's1', WebIdentityToken: 'a.b.c', Policy: 'nope' }, 'none', 400, 'MalformedPolicyDocument', { message: 'The policy is not in the valid JSON format.' }],
      // Well-formed requests with a bad token: the token's fault, not a validation error.
      ['assume-role-with-web-identity', { RoleArn: role, RoleSessionName: 's1', WebIdentityToken: '!!!.???.***' }, 'none', 400, 'InvalidIdentityToken', { message: 'The web identity token is not a valid JWT.' }],
      ['assume-role-with-web-identity', { RoleArn: role, RoleSessionName: 's1', WebIdentityToken: 'eyJhbGciOiJub25lIn0.eyJpc3MiOiJodHRwczovL3guZXhhbXBsZS5jb20ifQ.' }, 'none', 400, 'InvalidIdentityToken', { message: /algorithm that is not allowed/ }],
    ];
    const sessionsBefore = await t.prisma.stsSession.count({ where: { accountId: A.accountId } });
    for (const [op, body, who, status, code, want] of cases) {
      const label = `${op} ${JSON.stringify(body).slice(0, 160)}`;
      const res = await send('POST', `/v1/sts/${op}`, who).send(body);
      expectError(res, status, code, label);
      const message = res.body.error.message as string;
      if ('violations' in want) {
        const [n, ...params] = want.violations;
        expect(message, label).toMatch(new RegExp(`^${n} validation errors? detected: `));
        expect(message.split('; ').length, label).toBe(n);
        for (const at of params) expect(message, label).toContain(` at '${at}' failed to satisfy constraint: `);
      } else if (typeof want.message === 'string') {
        expect(message, label).toBe(want.message);
      } else {
        expect(message, label).toMatch(want.message);
      }
      // Tokens, codes and policies are never echoed; other values at most 64 characters.
      for (const secret of ['WebIdentityToken', 'TokenCode', 'Policy'] as const) {
        const v = body[secret];
        if (typeof v === 'string' && v.length >= 3) expect(message, `${label}: ${secret} echoed`).not.toContain(v);
      }
      expect(message, label).not.toMatch(/x{65}/);
    }
    expect(await t.prisma.stsSession.count({ where: { accountId: A.accountId } })).toBe(sessionsBefore);
  });

  // These inputs once got a 500 (and a JSON null revocation selector revoked every session of the account): they must be a
  // clear 4xx (or, for a null that means "absent", a 2xx).
  it('null in optional fields is a 4xx or treated as absent, never a 500; a null revocation selector revokes nothing', async () => {
    const h = headersOf('root');
    for (const [method, path, body] of [
      ['POST', `${acct()}/roles`, { roleName: uniq('nulldesc-'), assumeRolePolicyDocument: trustAccount(A.accountId), description: null }],
      ['PATCH', `${acct()}/roles/${fx.role}`, { description: null }],
      ['PATCH', `${acct()}/oidc-providers/${fx.oidcProvider}`, { clientIdList: null }],
    ] as [Method, string, object][]) {
      const res = await send(method, path, 'root').send(body);
      expect(res.status, `${method} ${path} ${JSON.stringify(body)}: ${JSON.stringify(res.body)}`).toBeLessThan(500);
      if (res.status >= 400) expectError(res, 400, 'ValidationError', `${method} ${path} ${JSON.stringify(body)}`);
    }
    expect((await t.http.post('/v1/sts/get-session-token').set(h).send({})).status).toBe(200);
    for (const body of [{ all: null }, { principalArn: null }, { roleName: null }, { accessKeyId: null }]) {
      const res = await t.http.post(`${acct()}/sts/revocations`).set(h).send(body);
      expectError(res, 400, 'ValidationError', JSON.stringify(body));
      expect(await t.prisma.stsSession.count({ where: { accountId: A.accountId, revokedAt: null, expiresAt: { gt: new Date() } } }), JSON.stringify(body)).toBeGreaterThan(0);
    }
  });

  it('unknown routes and methods are 404 NotFound in the JSON error format', async () => {
    for (const [method, path] of [
      // GET and POST / are the AWS Query endpoint (aws-query-bad-input.e2e.spec.ts); other methods are not routes.
      ['PUT', '/'],
      ['DELETE', '/'],
      ['GET', '/v1'],
      ['GET', '/v1/nope'],
      ['GET', `${acct()}/nope`],
      ['POST', `${acct()}/users/${fx.user}/nope`],
      ['DELETE', '/v1/signin'],
      ['PUT', '/v1/accounts'],
      ['GET', '/v2/accounts'],
      ['GET', '/v1/accounts/../../etc/passwd'],
    ] as [Method, string][]) {
      for (const who of ['none', 'root'] as Who[]) {
        const res = await send(method, path, who);
        expectError(res, 404, 'NotFound', `${method} ${path} as ${who}`);
      }
    }
    // A malformed URL is a 400, in the same format.
    const bad = await t.http.get(`${acct()}/users/%E0%A4%A`).set(headersOf('root'));
    expectError(bad, 400, 'ValidationError', 'bad url encoding');
  });

  it('names that cannot be part of an ARN are 400 ValidationError, in the path or the body', async () => {
    const h = headersOf('root');
    for (const path of [`${acct()}/users/a%20b`, `${acct()}/groups/a%20b`, `${acct()}/policies/a%20b`, `${acct()}/users/a%09b/login-profile`, `${acct()}/groups/a%20b/attached-policies`]) {
      expectError(await t.http.get(path).set(h), 400, 'ValidationError', path);
    }
    for (const [path, body] of [
      [`${acct()}/users`, {}],
      [`${acct()}/users`, { userName: 'a b' }],
      [`${acct()}/users`, { userName: 'ok', path: 'dev' }],
      [`${acct()}/groups`, { groupName: '' }],
      [`${acct()}/groups`, { groupName: 'g', path: 'x' }],
      [`${acct()}/policies`, { policyName: 'p q', document: POLICY }],
    ] as [string, object][]) {
      expectError(await t.http.post(path).set(h).send(body), 400, 'ValidationError', `${path} ${JSON.stringify(body)}`);
    }
  });

  it('every response carries an x-request-id; a valid client id is echoed, an invalid one replaced', async () => {
    const responses: Response[] = [
      await t.http.get('/health/live'),
      await t.http.get('/v1/caller-identity').set(headersOf('root')),
      await t.http.get('/v1/caller-identity'),
      await t.http.get('/v1/nope'),
      await t.http.post(`${acct()}/users`).set(headersOf('root')).send({ userName: 'x', bogus: 1 }),
    ];
    for (const r of responses) {
      expect(r.headers['x-request-id']).toMatch(UUID_RE);
      if (r.status >= 400) expect(r.body.error.requestId).toBe(r.headers['x-request-id']);
    }
    expect(new Set(responses.map((r) => r.headers['x-request-id'])).size).toBe(responses.length);

    const given = `client-${uniq()}.req_1`;
    for (const r of [
      await t.http.get('/health/live').set('x-request-id', given),
      await t.http.get(`${acct()}/users`).set(headersOf('root')).set('x-request-id', given),
      await t.http.post(`${acct()}/users`).set(headersOf('root')).set('x-request-id', given).send({ userName: 1 }),
      await t.http.get('/v1/nope').set('x-request-id', given),
      await t.http.post('/v1/signin').set('x-request-id', given).set('content-type', 'application/json').send('{'),
    ]) {
      expect(r.headers['x-request-id']).toBe(given);
      if (r.status >= 400) expect(r.body.error.requestId).toBe(given);
    }
    // Too short, too long, or with characters that do not belong in a log line: a fresh id instead.
    for (const bad of ['short', 'x'.repeat(65), 'has space in it', 'quote"d-12345', 'semi;colon;1234', '<script>alert(1)</script>', 'slash/in/it-1234']) {
      const r = await t.http.get('/v1/nope').set('x-request-id', bad);
      expect(r.headers['x-request-id'], bad).toMatch(UUID_RE);
      expect(r.body.error.requestId).toBe(r.headers['x-request-id']);
    }
    // The request id reaches the audit record of what the request did.
    const rid = `audit-${uniq()}`;
    const created = await t.http.post(`${acct()}/groups`).set(headersOf('root')).set('x-request-id', rid).send({ groupName: uniq('rid-') });
    expect(created.status).toBe(201);
    expect(await t.prisma.auditEvent.count({ where: { chain: A.accountId, requestId: rid, action: 'iam:CreateGroup' } })).toBe(1);
  });

  it('no request in this file got a 5xx (from the app’s own request metrics)', async () => {
    const metrics = await t.http.get('/metrics');
    expect(metrics.status).toBe(200);
    const lines = metrics.text.split('\n').filter((l) => l.startsWith('credbroker_http_request_duration_seconds_count'));
    expect(lines.length).toBeGreaterThan(10);
    expect(lines.filter((l) => /status="5\d\d"/.test(l))).toEqual([]);
  });
});
