import type { Response } from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountWithRoot, ADMIN, bearer, codeAt, READ_ONLY, ROOT_PASSWORD, USER_PASSWORD, userWithPolicies, type TestAccount } from '../support/factories.js';
import { trustAccount } from '../support/roles.js';
import { signedRequest, type Keys } from '../support/sigv4-client.js';
import { registeredRoutes } from '../support/routes.js';
import { DB_KIND, startTestApp, uniq, type TestApp } from '../support/test-app.js';

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** One call against account A's data: a route template, its parameters, and a body that would succeed for A. */
interface Probe {
  route: `${Method} ${string}`;
  params?: Record<string, string>;
  query?: Record<string, string>;
  body?: () => object;
  /** Operator-only routes do not even authenticate a console session: 401, whichever account. */
  operatorOnly?: boolean;
  /** Routes that take operator tokens and console sessions, but not SigV4: a signed request is 401. */
  notSigV4?: boolean;
}

const ALLOW_ALL = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };
const READ_USERS = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iam:ListUsers', Resource: '*' }] };

/** A row without the named columns (secrets and their hashes stay out of the comparisons). */
const withoutKeys = (row: object, keys: string[]) => Object.fromEntries(Object.entries(row).filter(([k]) => !keys.includes(k)));

/** Every route that has an :accountId in its path, from Nest's own route metadata. */
function accountRoutes(t: TestApp): string[] {
  return registeredRoutes(t.app)
    .filter((r) => r.path.includes(':accountId'))
    .map((r) => `${r.method} ${r.path}`)
    .sort();
}

describe(`tenant isolation: another account cannot read, change or delete (${DB_KIND})`, () => {
  let t: TestApp;
  let A: TestAccount;
  let B: TestAccount;
  let bAdmin: { userName: string; token: string };
  /** B's administrator's access key: the same principal, signing its requests (SigV4) instead. */
  let bAdminKeys: Keys;
  let bUser: string;

  // Account A's data, all of it reachable by A's root.
  const fx = {
    user: uniq('alice-'),
    bareUser: uniq('bare-'),
    noProfileUser: uniq('noprof-'),
    group: uniq('team-'),
    emptyGroup: uniq('empty-'),
    policy: uniq('pol-'),
    loosePolicy: uniq('loose-'),
    policyArn: '',
    userInline: 'user-inline',
    groupInline: 'group-inline',
    userMfaEnabled: '',
    userMfaPending: '',
    userMfaPendingSeed: '',
    rootMfaEnabled: '',
    rootMfaPending: '',
    rootMfaPendingSeed: '',
    userKey: '',
    rootKey: '',
    role: uniq('role-'),
    roleArn: '',
    looseRole: uniq('looserole-'),
    roleInline: 'role-inline',
    oidcHost: `${uniq('idp-')}.example.com`,
    oidcProvider: '',
    looseOidcProvider: '',
    containerToken: '',
    looseContainerToken: '',
  };

  const asA = () => bearer(A.rootToken);
  const pathOf = (accountId: string, p: Probe) => {
    const [, template] = p.route.split(' ');
    return template.replace(/:(\w+)/g, (_m, k: string) => (k === 'accountId' ? accountId : encodeURIComponent(p.params?.[k] ?? `<${k}?>`)));
  };
  const call = (p: Probe, accountId: string, headers: Record<string, string>): Promise<Response> => {
    const method = p.route.split(' ')[0].toLowerCase() as 'get' | 'post' | 'put' | 'patch' | 'delete';
    let req = t.http[method](pathOf(accountId, p)).set(headers);
    if (p.query) req = req.query(p.query);
    return p.body ? req.send(p.body()) : req;
  };
  /** The same call, signed with an access key (SigV4) instead of a session token. */
  const callSigned = (p: Probe, accountId: string, keys: Keys): Promise<Response> => {
    const [method] = p.route.split(' ');
    return signedRequest(t, keys, method, pathOf(accountId, p), { body: p.body?.(), query: p.query, service: 'iam' }) as unknown as Promise<Response>;
  };
  type Caller = (p: Probe, accountId: string) => Promise<Response>;

  async function enableMfa(base: string, deviceName: string): Promise<{ serial: string }> {
    const dev = await t.http.post(base).set(asA()).send({ deviceName });
    expect(dev.status, JSON.stringify(dev.body)).toBe(201);
    const seed = dev.body.base32StringSeed as string;
    const en = await t.http.post(`${base}/enable`).set(asA()).send({ serialNumber: dev.body.serialNumber, authenticationCode1: codeAt(seed, -1), authenticationCode2: codeAt(seed, 0) });
    expect(en.status, JSON.stringify(en.body)).toBe(201);
    return { serial: dev.body.serialNumber };
  }

  async function pendingMfa(base: string, deviceName: string): Promise<{ serial: string; seed: string }> {
    const dev = await t.http.post(base).set(asA()).send({ deviceName });
    expect(dev.status, JSON.stringify(dev.body)).toBe(201);
    return { serial: dev.body.serialNumber, seed: dev.body.base32StringSeed };
  }

  /** What A's root reads at a path (an error's requestId, and the report's timestamp, aside). */
  async function readAsA(path: string): Promise<{ status: number; body: unknown }> {
    const r = await t.http.get(path).set(asA());
    const body = r.body?.error ? { ...r.body.error, requestId: undefined } : { ...r.body, generatedAt: undefined };
    return { status: r.status, body };
  }

  /** Every row the database holds for A (and the length of A's audit chain). */
  async function dbOfA(): Promise<unknown> {
    const where = { accountId: A.accountId };
    const db = {
      account: await t.prisma.account.findUnique({ where: { id: A.accountId } }),
      passwordPolicy: await t.prisma.passwordPolicy.findUnique({ where }),
      users: await t.prisma.user.findMany({ where, orderBy: { id: 'asc' } }),
      passwordHistory: await t.prisma.passwordHistory.findMany({ where, orderBy: { id: 'asc' } }),
      groups: await t.prisma.group.findMany({ where, orderBy: { id: 'asc' } }),
      memberships: await t.prisma.groupMembership.findMany({ where, orderBy: [{ groupId: 'asc' }, { userId: 'asc' }] }),
      policies: await t.prisma.policy.findMany({ where, orderBy: { id: 'asc' } }),
      attachments: await t.prisma.policyAttachment.findMany({ where, orderBy: [{ principalId: 'asc' }, { policyArn: 'asc' }] }),
      inline: await t.prisma.inlinePolicy.findMany({ where, orderBy: [{ principalId: 'asc' }, { name: 'asc' }] }),
      mfa: await t.prisma.mfaDevice.findMany({ where, orderBy: { id: 'asc' } }),
      accessKeys: await t.prisma.accessKey.findMany({ where, orderBy: { id: 'asc' } }),
      sessions: (await t.prisma.consoleSession.findMany({ where, orderBy: { id: 'asc' } })).map((s) => ({ id: s.id, revokedAt: s.revokedAt, expiresAt: s.expiresAt })),
      roles: await t.prisma.role.findMany({ where, orderBy: { id: 'asc' } }),
      oidcProviders: await t.prisma.oidcProvider.findMany({ where, orderBy: { id: 'asc' } }),
      // Temporary credentials and container tokens without their secrets (encrypted secret, token hashes).
      stsSessions: (await t.prisma.stsSession.findMany({ where, orderBy: { accessKeyId: 'asc' } })).map((s) => withoutKeys(s, ['secretCiphertext', 'tokenHash'])),
      containerTokens: (await t.prisma.containerToken.findMany({ where, orderBy: { id: 'asc' } })).map((c) => withoutKeys(c, ['tokenHash'])),
      // Nothing B does is written into A's audit chain (B's refusals belong to B).
      auditEvents: await t.prisma.auditEvent.count({ where: { chain: A.accountId } }),
      auditDigests: await t.prisma.auditDigest.count({ where: { chain: A.accountId } }),
      auditSettings: await t.prisma.auditSetting.findMany({ where: { chain: A.accountId } }),
      auditAnchors: await t.prisma.auditAnchor.findMany({ where: { chain: A.accountId } }),
    };
    return JSON.parse(JSON.stringify(db, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)));
  }

  /** A's state, read back over HTTP as A's root, plus every row the database holds for A. */
  async function snapshotOfA(): Promise<unknown> {
    const base = `/v1/accounts/${A.accountId}`;
    const reads = [
      '',
      '/password-policy',
      '/users',
      ...[fx.user, fx.bareUser, fx.noProfileUser].flatMap((u) => [
        `/users/${u}`,
        `/users/${u}/groups`,
        `/users/${u}/login-profile`,
        `/users/${u}/attached-policies`,
        `/users/${u}/inline-policies`,
        `/users/${u}/mfa-devices`,
      ]),
      `/users/${fx.user}/inline-policies/${fx.userInline}`,
      '/root/mfa-devices',
      '/groups',
      `/groups/${fx.group}`,
      `/groups/${fx.emptyGroup}`,
      `/groups/${fx.group}/attached-policies`,
      `/groups/${fx.group}/inline-policies`,
      `/groups/${fx.group}/inline-policies/${fx.groupInline}`,
      '/policies?scope=Local',
      `/policies/${fx.policy}`,
      `/policies/${fx.loosePolicy}`,
      `/users/${fx.user}/access-keys`,
      `/users/${fx.user}/access-keys/${fx.userKey}/last-used`,
      '/root/access-keys',
      `/root/access-keys/${fx.rootKey}/last-used`,
      '/access-key-report',
      '/roles',
      ...[fx.role, fx.looseRole].map((r) => `/roles/${r}`),
      `/roles/${fx.role}/attached-policies`,
      `/roles/${fx.role}/inline-policies`,
      `/roles/${fx.role}/inline-policies/${fx.roleInline}`,
      '/oidc-providers',
      `/oidc-providers/${fx.oidcProvider}`,
      `/oidc-providers/${fx.looseOidcProvider}`,
      '/sts/sessions?active=false',
      '/container-tokens',
      '/audit/retention',
    ];
    const http: Record<string, unknown> = {};
    for (const p of reads) http[p || '/'] = await readAsA(base + p);
    return { http, db: await dbOfA() };
  }

  /**
   * Where A's root reads back what a probe targets: the route itself if it has a GET, else its
   * nearest parent that has one (POST …/users/:userName/tags → GET …/users/:userName).
   */
  let getRoutes: Set<string>;
  const readBackPath = (p: Probe): string => {
    const segments = p.route.split(' ')[1].split('/');
    while (segments.length > 4 && !getRoutes.has(segments.join('/'))) segments.pop();
    return pathOf(A.accountId, { ...p, route: `GET ${segments.join('/')}` });
  };

  let baseline: unknown;

  beforeAll(async () => {
    t = await startTestApp();
    A = await accountWithRoot(t);
    B = await accountWithRoot(t);
    const base = `/v1/accounts/${A.accountId}`;
    const ok = async (res: Promise<Response>, status: number) => {
      const r = await res;
      expect(r.status, JSON.stringify(r.body)).toBe(status);
      return r;
    };
    const h = asA();
    await ok(t.http.put(`${base}/password-policy`).set(h).send({ minimumPasswordLength: 10, requireNumbers: true, allowUsersToChangePassword: true }), 200);
    await ok(t.http.post(`${base}/users`).set(h).send({ userName: fx.user, path: '/team/', tags: [{ key: 'team', value: 'blue' }] }), 201);
    await ok(t.http.post(`${base}/users`).set(h).send({ userName: fx.bareUser }), 201);
    await ok(t.http.post(`${base}/users`).set(h).send({ userName: fx.noProfileUser }), 201);
    await ok(t.http.post(`${base}/users/${fx.user}/login-profile`).set(h).send({ password: USER_PASSWORD }), 201);
    await ok(t.http.post(`${base}/users/${fx.bareUser}/login-profile`).set(h).send({ password: USER_PASSWORD }), 201);
    const pol = await ok(t.http.post(`${base}/policies`).set(h).send({ policyName: fx.policy, document: READ_USERS }), 201);
    fx.policyArn = pol.body.arn;
    await ok(t.http.post(`${base}/policies`).set(h).send({ policyName: fx.loosePolicy, document: READ_USERS }), 201);
    await ok(t.http.post(`${base}/users/${fx.user}/attached-policies`).set(h).send({ policyArn: READ_ONLY }), 204);
    await ok(t.http.post(`${base}/users/${fx.user}/attached-policies`).set(h).send({ policyArn: fx.policyArn }), 204);
    await ok(t.http.put(`${base}/users/${fx.user}/inline-policies/${fx.userInline}`).set(h).send({ document: READ_USERS }), 204);
    await ok(t.http.post(`${base}/groups`).set(h).send({ groupName: fx.group }), 201);
    await ok(t.http.post(`${base}/groups`).set(h).send({ groupName: fx.emptyGroup }), 201);
    await ok(t.http.put(`${base}/groups/${fx.group}/users/${fx.user}`).set(h), 204);
    await ok(t.http.post(`${base}/groups/${fx.group}/attached-policies`).set(h).send({ policyArn: READ_ONLY }), 204);
    await ok(t.http.put(`${base}/groups/${fx.group}/inline-policies/${fx.groupInline}`).set(h).send({ document: READ_USERS }), 204);
    fx.userMfaEnabled = (await enableMfa(`${base}/users/${fx.user}/mfa-devices`, uniq('alice-phone-'))).serial;
    const up = await pendingMfa(`${base}/users/${fx.user}/mfa-devices`, uniq('alice-spare-'));
    fx.userMfaPending = up.serial;
    fx.userMfaPendingSeed = up.seed;
    fx.rootMfaEnabled = (await enableMfa(`${base}/root/mfa-devices`, uniq('root-phone-'))).serial;
    const rp = await pendingMfa(`${base}/root/mfa-devices`, uniq('root-spare-'));
    fx.rootMfaPending = rp.serial;
    fx.rootMfaPendingSeed = rp.seed;
    fx.userKey = (await ok(t.http.post(`${base}/users/${fx.user}/access-keys`).set(h), 201)).body.accessKey.accessKeyId;
    // Root keys are locked by default: A opts out, so that creating one would work (for A).
    await ok(t.http.patch(base).set(h).send({ lockRootAccessKeys: false }), 200);
    fx.rootKey = (await ok(t.http.post(`${base}/root/access-keys`).set(h), 201)).body.accessKey.accessKeyId;
    // A role that A's own account may assume, with an attached and an inline policy; and one to delete.
    fx.roleArn = (await ok(t.http.post(`${base}/roles`).set(h).send({ roleName: fx.role, assumeRolePolicyDocument: trustAccount(A.accountId) }), 201)).body.arn;
    await ok(t.http.post(`${base}/roles/${fx.role}/attached-policies`).set(h).send({ policyArn: READ_ONLY }), 204);
    await ok(t.http.post(`${base}/roles/${fx.role}/attached-policies`).set(h).send({ policyArn: fx.policyArn }), 204);
    await ok(t.http.put(`${base}/roles/${fx.role}/inline-policies/${fx.roleInline}`).set(h).send({ document: READ_USERS }), 204);
    await ok(t.http.post(`${base}/roles`).set(h).send({ roleName: fx.looseRole, assumeRolePolicyDocument: trustAccount(A.accountId) }), 201);
    // OIDC providers: one to read and change, one to delete.
    fx.oidcProvider = (await ok(t.http.post(`${base}/oidc-providers`).set(h).send({ url: `https://${fx.oidcHost}`, clientIdList: ['sts.amazonaws.com'] }), 201)).body.providerId;
    fx.looseOidcProvider = (await ok(t.http.post(`${base}/oidc-providers`).set(h).send({ url: `https://${uniq('looseidp-')}.example.com`, clientIdList: ['sts.amazonaws.com'] }), 201)).body.providerId;
    // Live temporary credentials of A: a session token and a role session.
    await ok(t.http.post('/v1/sts/get-session-token').set(h).send({}), 200);
    await ok(t.http.post('/v1/sts/assume-role').set(h).send({ RoleArn: fx.roleArn, RoleSessionName: 'fixture' }), 200);
    // Container tokens: one to keep, one to delete.
    fx.containerToken = (await ok(t.http.post(`${base}/container-tokens`).set(h).send({ name: uniq('ct-'), roleArn: fx.roleArn }), 201)).body.id;
    fx.looseContainerToken = (await ok(t.http.post(`${base}/container-tokens`).set(h).send({ name: uniq('loosect-'), roleArn: fx.roleArn }), 201)).body.id;

    bAdmin = await userWithPolicies(t, B, [ADMIN]);
    const bKey = await ok(t.http.post(`/v1/accounts/${B.accountId}/users/${bAdmin.userName}/access-keys`).set(bearer(B.rootToken)), 201);
    bAdminKeys = { accessKeyId: bKey.body.accessKey.accessKeyId, secretAccessKey: bKey.body.accessKey.secretAccessKey };
    bUser = uniq('bob-');
    await ok(t.http.post(`/v1/accounts/${B.accountId}/users`).set(bearer(B.rootToken)).send({ userName: bUser }), 201);

    getRoutes = new Set(accountRoutes(t).filter((r) => r.startsWith('GET ')).map((r) => r.slice(4)));
    baseline = await snapshotOfA();
  });

  afterAll(async () => {
    await t?.close();
  });

  const newPolicyDoc = () => ({ document: ALLOW_ALL });
  /** Each probe would succeed if A's root sent it (see the control test); B must get NoSuchEntity. */
  const probes = (): Probe[] => [
    // account
    { route: 'GET /v1/accounts/:accountId', notSigV4: true },
    { route: 'PATCH /v1/accounts/:accountId', body: () => ({ name: 'Hijacked Inc', requireRootMfa: true, lockRootAccessKeys: true }) },
    { route: 'PUT /v1/accounts/:accountId/aws-link', body: () => ({ awsAccountId: '999999999999' }), operatorOnly: true },
    { route: 'PUT /v1/accounts/:accountId/alias', body: () => ({ alias: uniq('stolen-') }) },
    { route: 'DELETE /v1/accounts/:accountId/alias' },
    { route: 'PUT /v1/accounts/:accountId/root/email', body: () => ({ newEmail: `${uniq('attacker-')}@example.test`, password: ROOT_PASSWORD }) },
    { route: 'GET /v1/accounts/:accountId/password-policy' },
    { route: 'PUT /v1/accounts/:accountId/password-policy', body: () => ({ minimumPasswordLength: 6 }) },
    { route: 'DELETE /v1/accounts/:accountId/password-policy' },
    { route: 'POST /v1/accounts/:accountId/change-password', body: () => ({ oldPassword: ROOT_PASSWORD, newPassword: 'Taken-0ver-Passw0rd!' }) },
    // users
    { route: 'POST /v1/accounts/:accountId/users', body: () => ({ userName: uniq('intruder-') }) },
    { route: 'GET /v1/accounts/:accountId/users' },
    { route: 'GET /v1/accounts/:accountId/users/:userName', params: { userName: fx.user } },
    { route: 'PATCH /v1/accounts/:accountId/users/:userName', params: { userName: fx.user }, body: () => ({ newUserName: uniq('renamed-'), newPath: '/owned/' }) },
    { route: 'DELETE /v1/accounts/:accountId/users/:userName', params: { userName: fx.noProfileUser } },
    { route: 'POST /v1/accounts/:accountId/users/:userName/tags', params: { userName: fx.user }, body: () => ({ tags: [{ key: 'owner', value: 'mallory' }] }) },
    { route: 'POST /v1/accounts/:accountId/users/:userName/untag', params: { userName: fx.user }, body: () => ({ tagKeys: ['team'] }) },
    { route: 'GET /v1/accounts/:accountId/users/:userName/groups', params: { userName: fx.user } },
    // login profiles
    { route: 'GET /v1/accounts/:accountId/users/:userName/login-profile', params: { userName: fx.user } },
    { route: 'POST /v1/accounts/:accountId/users/:userName/login-profile', params: { userName: fx.noProfileUser }, body: () => ({ password: 'Intrud3r-Passw0rd!' }) },
    { route: 'PATCH /v1/accounts/:accountId/users/:userName/login-profile', params: { userName: fx.user }, body: () => ({ password: 'Intrud3r-Passw0rd!', passwordResetRequired: false }) },
    { route: 'DELETE /v1/accounts/:accountId/users/:userName/login-profile', params: { userName: fx.bareUser } },
    // user policies
    { route: 'GET /v1/accounts/:accountId/users/:name/attached-policies', params: { name: fx.user } },
    { route: 'POST /v1/accounts/:accountId/users/:name/attached-policies', params: { name: fx.user }, body: () => ({ policyArn: ADMIN }) },
    { route: 'DELETE /v1/accounts/:accountId/users/:name/attached-policies', params: { name: fx.user }, query: { policyArn: READ_ONLY } },
    { route: 'GET /v1/accounts/:accountId/users/:name/inline-policies', params: { name: fx.user } },
    { route: 'GET /v1/accounts/:accountId/users/:name/inline-policies/:policyName', params: { name: fx.user, policyName: fx.userInline } },
    { route: 'PUT /v1/accounts/:accountId/users/:name/inline-policies/:policyName', params: { name: fx.user, policyName: 'backdoor' }, body: newPolicyDoc },
    { route: 'DELETE /v1/accounts/:accountId/users/:name/inline-policies/:policyName', params: { name: fx.user, policyName: fx.userInline } },
    // group policies
    { route: 'GET /v1/accounts/:accountId/groups/:name/attached-policies', params: { name: fx.group } },
    { route: 'POST /v1/accounts/:accountId/groups/:name/attached-policies', params: { name: fx.group }, body: () => ({ policyArn: ADMIN }) },
    { route: 'DELETE /v1/accounts/:accountId/groups/:name/attached-policies', params: { name: fx.group }, query: { policyArn: READ_ONLY } },
    { route: 'GET /v1/accounts/:accountId/groups/:name/inline-policies', params: { name: fx.group } },
    { route: 'GET /v1/accounts/:accountId/groups/:name/inline-policies/:policyName', params: { name: fx.group, policyName: fx.groupInline } },
    { route: 'PUT /v1/accounts/:accountId/groups/:name/inline-policies/:policyName', params: { name: fx.group, policyName: 'backdoor' }, body: newPolicyDoc },
    { route: 'DELETE /v1/accounts/:accountId/groups/:name/inline-policies/:policyName', params: { name: fx.group, policyName: fx.groupInline } },
    // users' MFA devices
    { route: 'GET /v1/accounts/:accountId/users/:userName/mfa-devices', params: { userName: fx.user } },
    { route: 'POST /v1/accounts/:accountId/users/:userName/mfa-devices', params: { userName: fx.user }, body: () => ({ deviceName: uniq('mallory-') }) },
    {
      route: 'POST /v1/accounts/:accountId/users/:userName/mfa-devices/enable',
      params: { userName: fx.user },
      // Even with the right codes.
      body: () => ({ serialNumber: fx.userMfaPending, authenticationCode1: codeAt(fx.userMfaPendingSeed, -1), authenticationCode2: codeAt(fx.userMfaPendingSeed, 0) }),
    },
    { route: 'POST /v1/accounts/:accountId/users/:userName/mfa-devices/deactivate', params: { userName: fx.user }, body: () => ({ serialNumber: fx.userMfaEnabled }) },
    { route: 'DELETE /v1/accounts/:accountId/users/:userName/mfa-devices', params: { userName: fx.user }, query: { serialNumber: fx.userMfaPending } },
    // root's MFA devices
    { route: 'GET /v1/accounts/:accountId/root/mfa-devices' },
    { route: 'POST /v1/accounts/:accountId/root/mfa-devices', body: () => ({ deviceName: uniq('mallory-') }) },
    {
      route: 'POST /v1/accounts/:accountId/root/mfa-devices/enable',
      body: () => ({ serialNumber: fx.rootMfaPending, authenticationCode1: codeAt(fx.rootMfaPendingSeed, -1), authenticationCode2: codeAt(fx.rootMfaPendingSeed, 0) }),
    },
    { route: 'POST /v1/accounts/:accountId/root/mfa-devices/deactivate', body: () => ({ serialNumber: fx.rootMfaEnabled }) },
    { route: 'DELETE /v1/accounts/:accountId/root/mfa-devices', query: { serialNumber: fx.rootMfaPending } },
    // groups
    { route: 'POST /v1/accounts/:accountId/groups', body: () => ({ groupName: uniq('intruders-') }) },
    { route: 'GET /v1/accounts/:accountId/groups' },
    { route: 'GET /v1/accounts/:accountId/groups/:groupName', params: { groupName: fx.group } },
    { route: 'DELETE /v1/accounts/:accountId/groups/:groupName', params: { groupName: fx.emptyGroup } },
    { route: 'PUT /v1/accounts/:accountId/groups/:groupName/users/:userName', params: { groupName: fx.group, userName: fx.bareUser } },
    { route: 'DELETE /v1/accounts/:accountId/groups/:groupName/users/:userName', params: { groupName: fx.group, userName: fx.user } },
    // customer managed policies
    { route: 'POST /v1/accounts/:accountId/policies', body: () => ({ policyName: uniq('evil-'), document: ALLOW_ALL }) },
    { route: 'GET /v1/accounts/:accountId/policies' },
    { route: 'GET /v1/accounts/:accountId/policies/:policyName', params: { policyName: fx.policy } },
    { route: 'PUT /v1/accounts/:accountId/policies/:policyName/document', params: { policyName: fx.policy }, body: newPolicyDoc },
    { route: 'DELETE /v1/accounts/:accountId/policies/:policyName', params: { policyName: fx.loosePolicy } },
    // access keys
    { route: 'POST /v1/accounts/:accountId/users/:userName/access-keys', params: { userName: fx.user } },
    { route: 'GET /v1/accounts/:accountId/users/:userName/access-keys', params: { userName: fx.user } },
    { route: 'PATCH /v1/accounts/:accountId/users/:userName/access-keys/:accessKeyId', params: { userName: fx.user, accessKeyId: fx.userKey }, body: () => ({ status: 'Inactive' }) },
    { route: 'DELETE /v1/accounts/:accountId/users/:userName/access-keys/:accessKeyId', params: { userName: fx.user, accessKeyId: fx.userKey }, body: () => ({ confirmAccessKeyId: fx.userKey }) },
    { route: 'GET /v1/accounts/:accountId/users/:userName/access-keys/:accessKeyId/last-used', params: { userName: fx.user, accessKeyId: fx.userKey } },
    { route: 'POST /v1/accounts/:accountId/root/access-keys' },
    { route: 'GET /v1/accounts/:accountId/root/access-keys' },
    { route: 'PATCH /v1/accounts/:accountId/root/access-keys/:accessKeyId', params: { accessKeyId: fx.rootKey }, body: () => ({ status: 'Inactive' }) },
    { route: 'DELETE /v1/accounts/:accountId/root/access-keys/:accessKeyId', params: { accessKeyId: fx.rootKey }, body: () => ({ confirmAccessKeyId: fx.rootKey }) },
    { route: 'GET /v1/accounts/:accountId/root/access-keys/:accessKeyId/last-used', params: { accessKeyId: fx.rootKey } },
    { route: 'GET /v1/accounts/:accountId/access-key-report' },
    // roles
    { route: 'POST /v1/accounts/:accountId/roles', body: () => ({ roleName: uniq('backdoor-'), assumeRolePolicyDocument: trustAccount(B.accountId) }) },
    { route: 'GET /v1/accounts/:accountId/roles' },
    { route: 'GET /v1/accounts/:accountId/roles/:roleName', params: { roleName: fx.role } },
    { route: 'PATCH /v1/accounts/:accountId/roles/:roleName', params: { roleName: fx.role }, body: () => ({ description: 'owned', maxSessionDuration: 43_200 }) },
    { route: 'PUT /v1/accounts/:accountId/roles/:roleName/trust-policy', params: { roleName: fx.role }, body: () => ({ document: trustAccount(B.accountId) }) },
    { route: 'DELETE /v1/accounts/:accountId/roles/:roleName', params: { roleName: fx.looseRole } },
    // role policies
    { route: 'GET /v1/accounts/:accountId/roles/:name/attached-policies', params: { name: fx.role } },
    { route: 'POST /v1/accounts/:accountId/roles/:name/attached-policies', params: { name: fx.role }, body: () => ({ policyArn: ADMIN }) },
    { route: 'DELETE /v1/accounts/:accountId/roles/:name/attached-policies', params: { name: fx.role }, query: { policyArn: READ_ONLY } },
    { route: 'GET /v1/accounts/:accountId/roles/:name/inline-policies', params: { name: fx.role } },
    { route: 'GET /v1/accounts/:accountId/roles/:name/inline-policies/:policyName', params: { name: fx.role, policyName: fx.roleInline } },
    { route: 'PUT /v1/accounts/:accountId/roles/:name/inline-policies/:policyName', params: { name: fx.role, policyName: 'backdoor' }, body: newPolicyDoc },
    { route: 'DELETE /v1/accounts/:accountId/roles/:name/inline-policies/:policyName', params: { name: fx.role, policyName: fx.roleInline } },
    // OIDC providers
    { route: 'POST /v1/accounts/:accountId/oidc-providers', body: () => ({ url: `https://${uniq('evil-')}.example.com`, clientIdList: ['sts.amazonaws.com'] }) },
    { route: 'GET /v1/accounts/:accountId/oidc-providers' },
    { route: 'GET /v1/accounts/:accountId/oidc-providers/:providerId', params: { providerId: fx.oidcProvider } },
    { route: 'PATCH /v1/accounts/:accountId/oidc-providers/:providerId', params: { providerId: fx.oidcProvider }, body: () => ({ clientIdList: ['mallory'] }) },
    { route: 'DELETE /v1/accounts/:accountId/oidc-providers/:providerId', params: { providerId: fx.looseOidcProvider } },
    // STS sessions
    { route: 'GET /v1/accounts/:accountId/sts/sessions' },
    // (Would revoke every live session of A: A's sessions in dbOfA must keep revokedAt null.)
    { route: 'POST /v1/accounts/:accountId/sts/revocations', body: () => ({ all: true }) },
    // container credentials tokens
    { route: 'POST /v1/accounts/:accountId/container-tokens', body: () => ({ name: uniq('mallory-'), roleArn: fx.roleArn }) },
    { route: 'GET /v1/accounts/:accountId/container-tokens' },
    { route: 'DELETE /v1/accounts/:accountId/container-tokens/:id', params: { id: fx.looseContainerToken } },
    // audit integrity (digests, export, retention)
    { route: 'GET /v1/accounts/:accountId/audit/digests' },
    { route: 'POST /v1/accounts/:accountId/audit/digests' },
    { route: 'GET /v1/accounts/:accountId/audit/export' },
    { route: 'GET /v1/accounts/:accountId/audit/retention' },
    { route: 'PUT /v1/accounts/:accountId/audit/retention', body: () => ({ retentionDays: 1 }) },
    { route: 'POST /v1/accounts/:accountId/audit/prune' },
  ];

  it('the table covers every route under /v1/accounts/:accountId', () => {
    const covered = new Set(probes().map((p) => p.route));
    expect(accountRoutes(t).filter((r) => !covered.has(r as Probe['route']))).toEqual([]);
    expect(probes().length).toBe(covered.size);
  });

  it('control: B’s root and B’s administrator can do these things in their own account', async () => {
    for (const token of [B.rootToken, bAdmin.token]) {
      const r = await t.http.get(`/v1/accounts/${B.accountId}/users`).set(bearer(token));
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body.users.map((u: { userName: string }) => u.userName)).toContain(bUser);
      expect(JSON.stringify(r.body)).not.toContain(fx.user);
    }
  });

  /** What B gets for an account that does not exist at all: A's answers must be indistinguishable. */
  async function missingAccountAnswer(p: Probe, caller: Caller): Promise<{ status: number; code: string; message: string }> {
    let ghost: string;
    do ghost = String(Math.floor(1e11 + Math.random() * 9e11));
    while (ghost === A.accountId || ghost === B.accountId);
    const r = await caller(p, ghost);
    return { status: r.status, code: r.body?.error?.code, message: r.body?.error?.message };
  }

  it.each(['root', 'administrator', 'administrator signing with its access key (SigV4)'] as const)('B’s %s gets 404 NoSuchEntity on every one of A’s routes, and A is left unchanged', async (who) => {
    const caller: Caller =
      who === 'root' ? (p, acct) => call(p, acct, bearer(B.rootToken)) : who === 'administrator' ? (p, acct) => call(p, acct, bearer(bAdmin.token)) : (p, acct) => callSigned(p, acct, bAdminKeys);
    for (const p of probes()) {
      const label = `${who} → ${p.route}`;
      const before = await readAsA(readBackPath(p));
      // (404 is a read-back too: e.g. the login profile B tries to create must still not exist.)
      expect([200, 404], `${label}: read back ${readBackPath(p)}`).toContain(before.status);
      const r = await caller(p, A.accountId);
      const unauthenticated = p.operatorOnly || (p.notSigV4 && who.includes('SigV4'));
      expect(r.status, `${label}: ${JSON.stringify(r.body)}`).toBe(unauthenticated ? 401 : 404);
      expect(r.body.error.code, label).toBe(unauthenticated ? 'MissingAuthenticationToken' : 'NoSuchEntity');
      // No hint of what exists in A: same answer as for an account that does not exist.
      expect({ status: r.status, code: r.body.error.code, message: r.body.error.message }, label).toEqual(await missingAccountAnswer(p, caller));
      for (const secret of [fx.user, fx.group, fx.policy, fx.userMfaEnabled, fx.userKey, fx.rootKey, fx.role, fx.oidcHost, fx.oidcProvider, fx.containerToken, A.alias, A.rootEmail]) expect(JSON.stringify(r.body), label).not.toContain(secret);
      // A's root reads the target back unchanged, and nothing of A's changed in the database.
      expect(await readAsA(readBackPath(p)), `${label}: read back ${readBackPath(p)}`).toEqual(before);
      expect(await dbOfA(), label).toEqual((baseline as { db: unknown }).db);
    }
    // And everything A's root can read is as it was.
    expect(await snapshotOfA()).toEqual(baseline);
  }, 300_000);

  it('control: the same probes by A’s own root are accepted (so the 404s above are isolation, not bad requests)', async () => {
    // Read-only probes only, so A's data stays as the other tests expect it.
    for (const p of probes().filter((x) => x.route.startsWith('GET '))) {
      const r = await call(p, A.accountId, asA());
      expect(r.status, `${p.route}: ${JSON.stringify(r.body)}`).toBe(200);
    }
  });

  it('B cannot attach A’s customer managed policy to its own users or groups', async () => {
    const bGroup = uniq('bgroup-');
    expect((await t.http.post(`/v1/accounts/${B.accountId}/groups`).set(bearer(B.rootToken)).send({ groupName: bGroup })).status).toBe(201);
    for (const token of [B.rootToken, bAdmin.token]) {
      for (const target of [`users/${bUser}`, `groups/${bGroup}`]) {
        const r = await t.http.post(`/v1/accounts/${B.accountId}/${target}/attached-policies`).set(bearer(token)).send({ policyArn: fx.policyArn });
        expect(r.status, JSON.stringify(r.body)).toBe(404);
        expect(r.body.error.code).toBe('NoSuchEntity');
        const list = await t.http.get(`/v1/accounts/${B.accountId}/${target}/attached-policies`).set(bearer(token));
        expect(list.status).toBe(200);
        expect(list.body.attachedPolicies).toEqual([]);
      }
    }
    // B does not see A's policy in its own account either, nor by A's policy name.
    const local = await t.http.get(`/v1/accounts/${B.accountId}/policies?scope=Local`).set(bearer(B.rootToken));
    expect(local.status).toBe(200);
    expect(JSON.stringify(local.body)).not.toContain(fx.policy);
    expect((await t.http.get(`/v1/accounts/${B.accountId}/policies/${fx.policy}`).set(bearer(B.rootToken))).status).toBe(404);
    expect(await snapshotOfA()).toEqual(baseline);
  });

  it('names are per account: B may have a user and group named like A’s, without touching A’s', async () => {
    const hB = bearer(B.rootToken);
    expect((await t.http.post(`/v1/accounts/${B.accountId}/users`).set(hB).send({ userName: fx.bareUser })).status).toBe(201);
    expect((await t.http.post(`/v1/accounts/${B.accountId}/groups`).set(hB).send({ groupName: fx.emptyGroup })).status).toBe(201);
    expect((await t.http.delete(`/v1/accounts/${B.accountId}/groups/${fx.emptyGroup}`).set(hB)).status).toBe(204);
    expect((await t.http.delete(`/v1/accounts/${B.accountId}/users/${fx.bareUser}`).set(hB)).status).toBe(204);
    // B's name lookups never reach A's rows.
    expect((await t.http.get(`/v1/accounts/${B.accountId}/users/${fx.user}`).set(hB)).status).toBe(404);
    expect((await t.http.get(`/v1/accounts/${B.accountId}/groups/${fx.group}`).set(hB)).status).toBe(404);
    expect((await t.http.put(`/v1/accounts/${B.accountId}/groups/${fx.group}/users/${bUser}`).set(hB)).status).toBe(404);
    expect(await snapshotOfA()).toEqual(baseline);
  });

  it('A’s credentials are not usable in B’s path: root’s and a user’s session tokens, the user’s access key', async () => {
    const aUser = await userWithPolicies(t, A, [ADMIN]);
    const aKey = (await t.http.post(`/v1/accounts/${A.accountId}/users/${aUser.userName}/access-keys`).set(asA())).body.accessKey;
    const aKeys: Keys = { accessKeyId: aKey.accessKeyId, secretAccessKey: aKey.secretAccessKey };
    const callers: [string, Caller][] = [
      ['A root session', (p, acct) => call(p, acct, bearer(A.rootToken))],
      ['A user session', (p, acct) => call(p, acct, bearer(aUser.token))],
      ['A user access key', (p, acct) => callSigned(p, acct, aKeys)],
    ];
    // Each works at home.
    for (const [label, caller] of callers) expect((await caller({ route: 'GET /v1/accounts/:accountId/users' }, A.accountId)).status, label).toBe(200);
    for (const [label, caller] of callers) {
      for (const p of [
        { route: 'GET /v1/accounts/:accountId' },
        { route: 'GET /v1/accounts/:accountId/users' },
        { route: 'GET /v1/accounts/:accountId/users/:userName', params: { userName: bUser } },
        { route: 'POST /v1/accounts/:accountId/users', body: () => ({ userName: uniq('intruder-') }) },
        { route: 'PUT /v1/accounts/:accountId/password-policy', body: () => ({ minimumPasswordLength: 6 }) },
        { route: 'GET /v1/accounts/:accountId/root/mfa-devices' },
      ] satisfies Probe[]) {
        const r = await caller(p, B.accountId);
        const unauthenticated = p.route === 'GET /v1/accounts/:accountId' && label.includes('access key');
        expect(r.status, `${label} ${p.route}: ${JSON.stringify(r.body)}`).toBe(unauthenticated ? 401 : 404);
        expect(r.body.error.code).toBe(unauthenticated ? 'MissingAuthenticationToken' : 'NoSuchEntity');
      }
    }
    // The tokens still work at home, and B's data did not change.
    expect((await t.http.get(`/v1/accounts/${A.accountId}/users`).set(asA())).status).toBe(200);
    const bUsers = await t.http.get(`/v1/accounts/${B.accountId}/users`).set(bearer(B.rootToken));
    expect(bUsers.status).toBe(200);
    expect(JSON.stringify(bUsers.body)).not.toContain('intruder-');
    expect((await t.http.get(`/v1/accounts/${B.accountId}/password-policy`).set(bearer(B.rootToken))).body.error?.code).toBe('NoSuchEntity');
    // Clean up the extra user so A's snapshot stays as it was.
    const h = asA();
    const keyUrl = `/v1/accounts/${A.accountId}/users/${aUser.userName}/access-keys/${aKeys.accessKeyId}`;
    expect((await t.http.patch(keyUrl).set(h).send({ status: 'Inactive' })).status).toBe(200);
    expect((await t.http.delete(keyUrl).set(h).send({ confirmAccessKeyId: aKeys.accessKeyId })).status).toBe(204);
    expect((await t.http.delete(`/v1/accounts/${A.accountId}/users/${aUser.userName}/attached-policies`).set(h).query({ policyArn: ADMIN })).status).toBe(204);
    expect((await t.http.delete(`/v1/accounts/${A.accountId}/users/${aUser.userName}/login-profile`).set(h)).status).toBe(204);
    expect((await t.http.delete(`/v1/accounts/${A.accountId}/users/${aUser.userName}`).set(h)).status).toBe(204);
    baseline = await snapshotOfA();
  });

  it('an operator token cannot call account-internal routes; only the account record is open to operators', async () => {
    const op = bearer(t.operatorToken);
    for (const p of probes()) {
      // Operator routes (the account record, its AWS link) are the operator's business: not sent here.
      if (p.operatorOnly) continue;
      const r = await call(p, A.accountId, op);
      if (p.route === 'GET /v1/accounts/:accountId') {
        expect(r.status, JSON.stringify(r.body)).toBe(200);
        continue;
      }
      expect([401, 403], `${p.route}: ${r.status} ${JSON.stringify(r.body)}`).toContain(r.status);
      expect(['MissingAuthenticationToken', 'AccessDenied'], p.route).toContain(r.body.error.code);
    }
    expect(await snapshotOfA()).toEqual(baseline);
  });

  it('without credentials every one of A’s routes answers 401, and nothing changes', async () => {
    for (const p of probes()) {
      const r = await call(p, A.accountId, {});
      expect(r.status, `${p.route}: ${JSON.stringify(r.body)}`).toBe(401);
      expect(r.body.error.code).toBe('MissingAuthenticationToken');
    }
    expect(await snapshotOfA()).toEqual(baseline);
  });
});
