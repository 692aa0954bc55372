import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants.js';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum.js';
import type { Response, Test } from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountWithRoot, bearer, codeAt, READ_ONLY, ROOT_PASSWORD, USER_PASSWORD, type TestAccount } from '../support/factories.js';
import { registeredRoutes } from '../support/routes.js';
import { DB_KIND, startTestApp, uniq, type TestApp } from '../support/test-app.js';

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
type Who = 'root' | 'operator' | 'none';

const POLICY = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iam:ListUsers', Resource: '*' }] };
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

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
    ...(['users', 'groups'] as const).flatMap((kind): BodyRoute[] => {
      const owner = () => (kind === 'users' ? fx.user : fx.group);
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
    expect((await t.http.get(`${acct()}/users/${fx.user}/attached-policies`).set(h)).body.attachedPolicies.map((p: { policyArn: string }) => p.policyArn)).toContain(READ_ONLY);
  });

  it('wrong types are 400 ValidationError, never 500', async () => {
    const h = headersOf('root');
    const u = uniq('typed-');
    const cases: [Method, string, unknown, Who][] = [
      ['POST', `${acct()}/users`, { userName: 123 }, 'root'],
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
    ];
    for (const [method, path, body, who] of cases) {
      const res = await send(method, path, who).send(body as object);
      expectError(res, 400, 'ValidationError', `${method} ${path} ${JSON.stringify(body)}`);
    }
    expect((await t.http.get(`${acct()}/users/${u}`).set(h)).status).toBe(404);
  });

  it('malformed JSON is 400 ValidationError, on public, operator and account routes alike', async () => {
    const targets: [string, Who][] = [
      [`${acct()}/users`, 'root'],
      ['/v1/signin', 'none'],
      ['/v1/accounts', 'operator'],
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
    ];
    for (const [method, path, who] of targets) {
      for (const raw of ['[]', '[{"userName":"x"}]', '"x"', '1', 'true', 'null']) {
        const res = await send(method, path, who).set('content-type', 'application/json').send(raw);
        expectError(res, 400, 'ValidationError', `${method} ${path} ${raw}`);
      }
    }
    const after = await t.http.get(acct()).set(headersOf('root'));
    expect(after.body).toEqual(before.body);
    expect((await t.http.get(`${acct()}/password-policy`).set(headersOf('root'))).body).toEqual(policyBefore.body);
  });

  it('a body over 1 MiB is 413 PayloadTooLarge (before authentication); just under it is read', async () => {
    const big = JSON.stringify({ userName: 'x', pad: 'x'.repeat(1024 * 1024 + 10) });
    for (const [path, who] of [
      [`${acct()}/users`, 'root'],
      [`${acct()}/users`, 'none'],
      ['/v1/signin', 'none'],
      ['/v1/accounts', 'operator'],
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
    // Sign-in by an HTML form (login CSRF) is refused too.
    const form = await t.http.post('/v1/signin').type('form').send({ account: A.accountId, userName: fx.user, password: USER_PASSWORD });
    expectError(form, 415, 'UnsupportedMediaType', 'form sign-in');
    expect((await t.http.get(`${acct()}/users/${u}`).set(headersOf('root'))).status).toBe(404);
    const ok = await send('POST', `${acct()}/users`, 'root').set('content-type', 'application/json; charset=utf-8').send(JSON.stringify({ userName: u }));
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
  });

  it('unknown routes and methods are 404 NotFound in the JSON error format', async () => {
    for (const [method, path] of [
      ['GET', '/'],
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
