import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { AuthContext } from '../../src/common/auth/auth-context.js';
import { refKey } from '../../src/db/account-refs.js';
import { PrismaService } from '../../src/db/prisma.service.js';
import { AuthorizationService } from '../../src/modules/policies/authorization.service.js';
import { PoliciesRepository } from '../../src/modules/policies/policies.repository.js';
import { RolesRepository } from '../../src/modules/roles/roles.repository.js';
import { AccessKeysRepository } from '../../src/modules/access-keys/access-keys.repository.js';
import { SESSION_CACHE_REFRESH_MS } from '../../src/modules/sts/session-credentials.resolver.js';
import { StsSessionsRepository } from '../../src/modules/sts/sts-sessions.repository.js';
import { UsersRepository } from '../../src/modules/users/users.repository.js';
import { signedRequest, type Keys } from '../support/sigv4-client.js';
import { allow as allowStatement, keysOf, policyDoc, role, trustPolicy, userWithKey } from '../support/sts.js';
import { accountWithRoot, bearer, READ_ONLY, type TestAccount } from '../support/factories.js';
import { createRole } from '../support/roles.js';
import { DB_KIND, startTestApp, uniq, type TestApp } from '../support/test-app.js';

const allow = (action: string) => ({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: action, Resource: '*' }] });

/**
 * The credential caches refresh many entries per query (RefreshAheadCache.refreshInBatches). The batched
 * loaders must return, for each principal, exactly what the single-principal loaders return, and never
 * another account's rows.
 */
describe('batched cache refresh loaders', () => {
  let t: TestApp;
  const fixtures: { a: TestAccount; userId: string; roleId: string; roleArn: string; keyId: string }[] = [];

  beforeAll(async () => {
    t = await startTestApp();
    for (let i = 0; i < 2; i++) {
      const a = await accountWithRoot(t);
      const h = bearer(a.rootToken);
      const base = `/v1/accounts/${a.accountId}`;
      const u = 'same-name'; // the same user, group and policy names in both accounts
      const user = await t.http.post(`${base}/users`).set(h).send({ userName: u });
      expect(user.status).toBe(201);
      expect((await t.http.post(`${base}/users/${u}/attached-policies`).set(h).send({ policyArn: READ_ONLY })).status).toBe(204);
      expect((await t.http.put(`${base}/users/${u}/inline-policies/own`).set(h).send({ document: allow(`iam:ListUsers${i}`) })).status).toBe(204);
      const policy = await t.http.post(`${base}/policies`).set(h).send({ policyName: 'shared', document: allow(`iam:GetUser${i}`) });
      expect(policy.status).toBe(201);
      expect((await t.http.post(`${base}/groups`).set(h).send({ groupName: 'team' })).status).toBe(201);
      expect((await t.http.put(`${base}/groups/team/users/${u}`).set(h).send()).status).toBe(204);
      expect((await t.http.post(`${base}/groups/team/attached-policies`).set(h).send({ policyArn: policy.body.arn })).status).toBe(204);
      expect((await t.http.put(`${base}/groups/team/inline-policies/grp`).set(h).send({ document: allow(`iam:ListGroups${i}`) })).status).toBe(204);
      const role = await createRole(t, a, { roleName: 'deploy' });
      expect((await t.http.put(`${base}/roles/deploy/inline-policies/r`).set(h).send({ document: allow(`s3:GetObject${i}`) })).status).toBe(204);
      expect((await t.http.post(`${base}/roles/deploy/attached-policies`).set(h).send({ policyArn: policy.body.arn })).status).toBe(204);
      const key = await t.http.post(`${base}/users/${u}/access-keys`).set(h).send();
      expect(key.status).toBe(201);
      const userId = (await t.prisma.user.findFirstOrThrow({ where: { accountId: a.accountId, nameLower: u } })).id;
      fixtures.push({ a, userId, roleId: role.roleId, roleArn: role.arn, keyId: key.body.accessKey.accessKeyId });
    }
    // A principal with nothing attached.
    expect((await t.http.post(`/v1/accounts/${fixtures[0]!.a.accountId}/users`).set(bearer(fixtures[0]!.a.rootToken)).send({ userName: uniq('bare-') })).status).toBe(201);
  });
  afterAll(async () => t?.close());

  const norm = (p: { arns: string[]; inline: string[]; customer: Map<string, string> }) => ({
    arns: [...p.arns].sort(),
    inline: [...p.inline].sort(),
    customer: [...p.customer.entries()].sort(),
  });

  it('policies: forPrincipals equals forUser / forRole for each principal, across accounts', async () => {
    const repo = t.app.get(PoliciesRepository);
    const bare = await t.prisma.user.findFirstOrThrow({ where: { accountId: fixtures[0]!.a.accountId, nameLower: { startsWith: 'bare-' } } });
    const principals = [
      ...fixtures.flatMap((f) => [
        { accountId: f.a.accountId, kind: 'USER' as const, id: f.userId },
        { accountId: f.a.accountId, kind: 'ROLE' as const, id: f.roleId },
      ]),
      { accountId: bare.accountId, kind: 'USER' as const, id: bare.id },
      // Another account's principal asked for under the wrong account: nothing.
      { accountId: fixtures[0]!.a.accountId, kind: 'USER' as const, id: fixtures[1]!.userId },
    ];
    const batched = await repo.forPrincipals(principals);
    expect(batched).toHaveLength(principals.length);
    for (const [i, p] of principals.entries()) {
      const single = p.kind === 'USER' ? await repo.forUser(p.accountId, p.id) : await repo.forRole(p.accountId, p.id);
      expect(norm(batched[i]!), `${p.kind} ${i}`).toEqual(norm(single));
    }
    // The fixture users do have something from each source, so the comparison is not vacuous.
    const first = norm(batched[0]!);
    expect(first.arns.length).toBe(2);
    expect(first.inline.length).toBe(2);
    expect(first.customer.length).toBe(1);
    expect(norm(batched[principals.length - 1]!)).toEqual({ arns: [], inline: [], customer: [] });
  });

  it('access keys and roles: the batched lookups equal the single ones, and an unknown id is left out', async () => {
    const keys = t.app.get(AccessKeysRepository);
    const ids = [...fixtures.map((f) => f.keyId), 'AKIAAAAAAAAAAAAAAAAA'];
    const many = await keys.findManyForAuthentication(ids);
    expect([...many.keys()].sort()).toEqual(fixtures.map((f) => f.keyId).sort());
    for (const f of fixtures) expect(many.get(f.keyId)).toEqual(await keys.findForAuthentication(f.keyId));

    const roles = t.app.get(RolesRepository) as unknown as { findManyForIssuance(keys: string[]): Promise<Map<string, unknown>> };
    const wanted = [...fixtures.map((f) => `${f.a.accountId}|${f.roleArn}`), `${fixtures[0]!.a.accountId}|${fixtures[1]!.roleArn}`];
    const found = await roles.findManyForIssuance(wanted);
    for (const f of fixtures) expect(found.get(`${f.a.accountId}|${f.roleArn}`)).toEqual(await t.app.get(RolesRepository).findByArn(f.a.accountId, f.roleArn));
    expect(found.get(wanted[2]!)).toBeNull(); // another account's role, under this account
  });

  it('users, roles and managed policy documents by account and id: each row answers only for its own account', async () => {
    const [f0, f1] = [fixtures[0]!, fixtures[1]!];
    const users = t.app.get(UsersRepository);
    const roles = t.app.get(RolesRepository);
    const policies = t.app.get(PoliciesRepository);
    const userRefs = [...fixtures.map((f) => ({ accountId: f.a.accountId, id: f.userId })), { accountId: f0.a.accountId, id: f1.userId }];
    const foundUsers = await users.findManyByIds(userRefs);
    expect([...foundUsers.keys()].sort()).toEqual(fixtures.map((f) => refKey(f.a.accountId, f.userId)).sort());
    for (const f of fixtures) expect(foundUsers.get(refKey(f.a.accountId, f.userId))).toEqual(await users.findById(f.a.accountId, f.userId));
    const foundRoles = await roles.findManyByIds([...fixtures.map((f) => ({ accountId: f.a.accountId, id: f.roleId })), { accountId: f1.a.accountId, id: f0.roleId }]);
    expect([...foundRoles.keys()].sort()).toEqual(fixtures.map((f) => refKey(f.a.accountId, f.roleId)).sort());
    for (const f of fixtures) expect(foundRoles.get(refKey(f.a.accountId, f.roleId))).toEqual(await roles.findById(f.a.accountId, f.roleId));
    // Both accounts have a policy named "shared" with different documents; one account's ARN asked under the other names nothing.
    const arn = (f: (typeof fixtures)[number]) => `arn:aws:iam::${f.a.accountId}:policy/shared`;
    const docs = await policies.managedDocumentsByArns([...fixtures.map((f) => ({ accountId: f.a.accountId, id: arn(f) })), { accountId: f0.a.accountId, id: arn(f1) }]);
    expect(docs.size).toBe(2);
    for (const f of fixtures) expect(docs.get(refKey(f.a.accountId, arn(f)))).toBe((await policies.findManagedByArn(f.a.accountId, arn(f)))!.document);
    expect(await users.findManyByIds([])).toEqual(new Map());
  });
});

describe('caches cleared after commit', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => t?.close());

  it('an after-commit hook runs once the transaction commits, never on rollback, and at once outside a transaction', async () => {
    const prisma = t.app.get(PrismaService);
    const ran: string[] = [];
    await prisma.transaction(async (tx) => {
      prisma.afterCommit(tx, () => ran.push('committed'));
      await tx.account.count();
      expect(ran).toEqual([]);
    });
    expect(ran).toEqual(['committed']);
    await expect(
      prisma.transaction(async (tx) => {
        prisma.afterCommit(tx, () => ran.push('rolled back'));
        throw new Error('no');
      }),
    ).rejects.toThrow('no');
    prisma.afterCommit(prisma, () => ran.push('plain'));
    expect(ran).toEqual(['committed', 'plain']);
  });

  it('a policy read racing a change does not leave the old policies cached once the change has committed', async () => {
    const a = await accountWithRoot(t);
    const h = bearer(a.rootToken);
    const name = uniq('racer-');
    expect((await t.http.post(`/v1/accounts/${a.accountId}/users`).set(h).send({ userName: name })).status).toBe(201);
    const user = await t.prisma.user.findFirstOrThrow({ where: { accountId: a.accountId, nameLower: name } });
    const auth: AuthContext = { method: 'sigv4', accountId: a.accountId, principal: { kind: 'IAMUser', id: user.id, arn: `arn:aws:iam::${a.accountId}:user/${name}`, name, userId: user.id }, mfa: { present: false }, tags: {} };
    const authz = t.app.get(AuthorizationService);
    expect(await authz.identityPolicies(auth)).toEqual([]);
    const prisma = t.app.get(PrismaService);
    const policies = t.app.get(PoliciesRepository);
    let racing: Promise<unknown> = Promise.resolve();
    await prisma.transaction(async (tx) => {
      await policies.putInline(tx, a.accountId, 'USER', user.id, 'late', JSON.stringify(allow('iam:ListUsers')));
      // Another request reads the user's policies before the commit (PostgreSQL: on another connection, seeing the old rows).
      racing = authz.identityPolicies(auth);
      if (DB_KIND === 'postgres') await racing;
    });
    await racing;
    expect(await authz.identityPolicies(auth)).toHaveLength(1);
  });
});

/**
 * Temporary credentials in use are refreshed like access keys: a fixed number of queries per refresh
 * (the sessions, their roles, their users, their customer managed session policies), not one set per
 * session; each session still gets its own account's role, user and policies, and a revocation made
 * elsewhere reaches it through the batch.
 */
describe('session credentials refreshed in batches', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => t?.close());

  it('one load per refresh for every session in use, each with its own account’s identity and session policies', async () => {
    type Issued = { name: string; accountId: string; keys: Keys; arn: string; listsUsers?: boolean };
    const issued: Issued[] = [];
    for (let i = 0; i < 2; i++) {
      const a = await accountWithRoot(t);
      const h = bearer(a.rootToken);
      const base = `/v1/accounts/${a.accountId}`;
      // The same policy name in both accounts, each allowing something else: a session must be limited by its own account's.
      const shared = await t.http.post(`${base}/policies`).set(h).send({ policyName: 'shared', document: policyDoc([allowStatement(i === 0 ? 'iam:ListUsers' : 'iam:ListRoles')]) });
      expect(shared.status).toBe(201);
      const r = await role(t, a, trustPolicy(a.accountId), { inline: policyDoc([allowStatement(['iam:ListUsers', 'iam:ListRoles'])]), name: 'deploy' });
      const u = await userWithKey(t, a, policyDoc([allowStatement(['sts:AssumeRole', 'sts:GetFederationToken'])]), 'caller');
      const call = async (op: string, body: unknown) => {
        const res = await signedRequest(t, u.keys, 'POST', `/v1/sts/${op}`, { body });
        expect(res.status, JSON.stringify(res.body)).toBe(200);
        return res.body;
      };
      const scoped = await call('assume-role', { RoleArn: r.arn, RoleSessionName: 'scoped', PolicyArns: [{ arn: shared.body.arn }] });
      issued.push({ name: `scoped ${i}`, accountId: a.accountId, keys: keysOf(scoped), arn: scoped.AssumedRoleUser.Arn, listsUsers: i === 0 });
      const plain = await call('assume-role', { RoleArn: r.arn, RoleSessionName: 'plain' });
      issued.push({ name: `plain ${i}`, accountId: a.accountId, keys: keysOf(plain), arn: plain.AssumedRoleUser.Arn });
      const fed = await call('get-federation-token', { Name: 'fed', PolicyArns: [{ arn: shared.body.arn }] });
      issued.push({ name: `federated ${i}`, accountId: a.accountId, keys: keysOf(fed), arn: fed.FederatedUser.Arn });
      const token = await call('get-session-token', {});
      issued.push({ name: `session token ${i}`, accountId: a.accountId, keys: keysOf(token), arn: u.arn });
    }
    const whoami = async (s: Issued) => {
      const res = await signedRequest(t, s.keys, 'GET', '/v1/sts/get-caller-identity');
      expect(res.status, `${s.name}: ${JSON.stringify(res.body)}`).toBe(200);
      expect(res.body.Arn, s.name).toBe(s.arn);
      expect(res.body.Account, s.name).toBe(s.accountId);
    };
    for (const s of issued) await whoami(s); // loaded one by one (cache misses)
    for (const s of issued) await whoami(s); // served from the cache, counted as used

    // Spies call through: the repositories answer as usual, and the calls are counted.
    const sessionLoads = vi.spyOn(t.app.get(StsSessionsRepository), 'findManyForAuthentication');
    const roleLoads = vi.spyOn(t.app.get(RolesRepository), 'findManyByIds');
    const userLoads = vi.spyOn(t.app.get(UsersRepository), 'findManyByIds');
    const policyLoads = vi.spyOn(t.app.get(PoliciesRepository), 'managedDocumentsByArns');
    try {
      await sleep(SESSION_CACHE_REFRESH_MS + 50);
      for (const s of issued) await whoami(s); // past the refresh age: served, and refreshed in the background
      await sleep(150);
      expect(sessionLoads).toHaveBeenCalledTimes(1);
      expect([...sessionLoads.mock.calls[0]![0]].sort()).toEqual(issued.map((s) => s.keys.accessKeyId).sort());
      expect([roleLoads.mock.calls.length, userLoads.mock.calls.length, policyLoads.mock.calls.length]).toEqual([1, 1, 1]);
      // Four references in each (two sessions per account, two accounts), none of them duplicated.
      expect(roleLoads.mock.calls[0]![0]).toHaveLength(4);
      expect(userLoads.mock.calls[0]![0]).toHaveLength(4);
    } finally {
      vi.restoreAllMocks();
    }

    // The refreshed contexts: each scoped session is limited by its own account's policy of the same name.
    for (const s of issued.filter((x) => x.listsUsers !== undefined)) {
      const users = await signedRequest(t, s.keys, 'GET', `/v1/accounts/${s.accountId}/users`, { service: 'iam' });
      const roles = await signedRequest(t, s.keys, 'GET', `/v1/accounts/${s.accountId}/roles`, { service: 'iam' });
      expect([users.status, roles.status], s.name).toEqual(s.listsUsers ? [200, 403] : [403, 200]);
    }

    // Revoked on "another instance" (straight in the database): the next batched refresh carries it here.
    const victim = issued[1]!;
    await t.prisma.stsSession.update({ where: { accessKeyId: victim.keys.accessKeyId }, data: { revokedAt: new Date() } });
    await sleep(SESSION_CACHE_REFRESH_MS + 50);
    await signedRequest(t, victim.keys, 'GET', '/v1/sts/get-caller-identity');
    await sleep(150);
    expect((await signedRequest(t, victim.keys, 'GET', '/v1/sts/get-caller-identity')).status).toBe(403);
    await whoami(issued[0]!);
  });
});
