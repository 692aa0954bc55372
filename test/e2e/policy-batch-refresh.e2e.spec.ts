import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthContext } from '../../src/common/auth/auth-context.js';
import { PrismaService } from '../../src/db/prisma.service.js';
import { AuthorizationService } from '../../src/modules/policies/authorization.service.js';
import { PoliciesRepository } from '../../src/modules/policies/policies.repository.js';
import { RolesRepository } from '../../src/modules/roles/roles.repository.js';
import { AccessKeysRepository } from '../../src/modules/access-keys/access-keys.repository.js';
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
