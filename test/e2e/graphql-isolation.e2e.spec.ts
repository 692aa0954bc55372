import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountWithRoot, bearer, type TestAccount, userWithPolicies } from '../support/factories.js';
import { role, trustPolicy, userWithKey } from '../support/sts.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

async function gql(t: TestApp, token: string, query: string, variables: Record<string, unknown> = {}) {
  const res = await t.http.post('/graphql').set(bearer(token)).set('content-type', 'application/json').send({ query, variables });
  return { status: res.status, body: res.body as { data?: Record<string, any> | null; errors?: { message: string; path?: string[]; extensions: { code: string; awsCode?: string } }[] } };
}

const AUDIT_READ_ONLY = 'arn:aws:iam::aws:policy/AuditReadOnlyAccess';

/** Every query with the arguments it needs, given account A's entities. */
function queries(a: { accountId: string; userName: string; groupName: string; roleName: string; policyName: string; providerId: string; seq: string }) {
  const acct = a.accountId;
  return {
    auditEvents: [`query($account: ID!) { auditEvents(account: $account) { edges { node { id } } } }`, { account: acct }],
    auditEvent: [`query($account: ID!, $id: ID!) { auditEvent(account: $account, id: $id) { id } }`, { account: acct, id: a.seq }],
    auditSummary: [`query($account: ID!) { auditSummary(account: $account) { total } }`, { account: acct }],
    verifyAuditChain: [`query($account: ID!) { verifyAuditChain(account: $account) { ok } }`, { account: acct }],
    account: [`query($id: ID!) { account(id: $id) { accountId } }`, { id: acct }],
    users: [`query($account: ID!) { users(account: $account) { userName } }`, { account: acct }],
    user: [`query($account: ID!, $name: String!) { user(account: $account, name: $name) { userName } }`, { account: acct, name: a.userName }],
    groups: [`query($account: ID!) { groups(account: $account) { groupName } }`, { account: acct }],
    group: [`query($account: ID!, $name: String!) { group(account: $account, name: $name) { groupName } }`, { account: acct, name: a.groupName }],
    roles: [`query($account: ID!) { roles(account: $account) { roleName } }`, { account: acct }],
    role: [`query($account: ID!, $name: String!) { role(account: $account, name: $name) { roleName } }`, { account: acct, name: a.roleName }],
    policies: [`query($account: ID!) { policies(account: $account, scope: "Local") { policyName } }`, { account: acct }],
    policy: [`query($account: ID!, $name: String!) { policy(account: $account, name: $name) { policyName } }`, { account: acct, name: a.policyName }],
    oidcProviders: [`query($account: ID!) { oidcProviders(account: $account) { arn } }`, { account: acct }],
    oidcProvider: [`query($account: ID!, $id: ID!) { oidcProvider(account: $account, providerId: $id) { arn } }`, { account: acct, id: a.providerId }],
    accessKeys: [`query($account: ID!) { accessKeys(account: $account) { accessKeyId } }`, { account: acct }],
  } as Record<string, [string, Record<string, unknown>]>;
}

describe('GraphQL: isolation and authorization', () => {
  let t: TestApp;
  let a: TestAccount;
  let b: TestAccount;
  let names: Parameters<typeof queries>[0];

  beforeAll(async () => {
    t = await startTestApp();
    [a, b] = await Promise.all([accountWithRoot(t), accountWithRoot(t)]);
    const h = bearer(a.rootToken);
    const u = await userWithKey(t, a);
    expect((await t.http.post(`/v1/accounts/${a.accountId}/groups`).set(h).send({ groupName: 'iso-group' })).status).toBe(201);
    expect((await t.http.put(`/v1/accounts/${a.accountId}/groups/iso-group/users/${u.userName}`).set(h)).status).toBeLessThan(300);
    const r = await role(t, a, trustPolicy(a.accountId), { policies: ['arn:aws:iam::aws:policy/ReadOnlyAccess'] });
    const doc = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iam:GetUser', Resource: '*' }] };
    expect((await t.http.post(`/v1/accounts/${a.accountId}/policies`).set(h).send({ policyName: 'iso-policy', document: doc })).status).toBe(201);
    const p = await t.http.post(`/v1/accounts/${a.accountId}/oidc-providers`).set(h).send({ url: 'https://issuer.example.test', clientIdList: ['aud'], jwks: { keys: [{ ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' }), kid: 'k1', alg: 'ES256', use: 'sig' }] } });
    expect(p.status, JSON.stringify(p.body)).toBe(201);
    names = { accountId: a.accountId, userName: u.userName, groupName: 'iso-group', roleName: r.roleName, policyName: 'iso-policy', providerId: p.body.providerId, seq: '1' };
  });
  afterAll(() => t.close());

  it("A's root reads every query of its own account", async () => {
    for (const [name, [q, v]] of Object.entries(queries(names))) {
      const r = await gql(t, a.rootToken, q, v);
      expect(r.body.errors, `${name}: ${JSON.stringify(r.body)}`).toBeUndefined();
      expect(r.body.data![name], name).not.toBeNull();
    }
  });

  it("account B cannot see anything of account A: every query answers NOT_FOUND for the account", async () => {
    for (const [name, [q, v]] of Object.entries(queries(names))) {
      const r = await gql(t, b.rootToken, q, v);
      expect(r.body.data?.[name] ?? null, name).toBeNull();
      expect(r.body.errors?.[0]?.extensions, `${name}: ${JSON.stringify(r.body)}`).toMatchObject({ code: 'NOT_FOUND', awsCode: 'NoSuchEntity' });
      expect(JSON.stringify(r.body), name).not.toContain(names.userName);
    }
  });

  it('a principal without permission is denied (FORBIDDEN) and the refusal is audited', async () => {
    const nobody = await userWithPolicies(t, a, []);
    for (const [name, [q, v]] of Object.entries(queries(names))) {
      const r = await gql(t, nobody.token, q, v);
      expect(r.body.data?.[name] ?? null, name).toBeNull();
      expect(r.body.errors?.[0]?.extensions, `${name}: ${JSON.stringify(r.body)}`).toMatchObject({ code: 'FORBIDDEN', awsCode: 'AccessDenied' });
    }
    const rows = await t.prisma.auditEvent.findMany({ where: { chain: a.accountId, outcome: 'denied', actorArn: { endsWith: `user/${nobody.userName}` } } });
    expect(new Set(rows.map((r) => r.action))).toEqual(new Set(['audit:ReadEvents', 'audit:VerifyChain', 'iam:GetAccountSummary', 'iam:ListUsers', 'iam:GetUser', 'iam:ListGroups', 'iam:GetGroup', 'iam:ListRoles', 'iam:GetRole', 'iam:ListPolicies', 'iam:GetPolicy', 'iam:ListOpenIDConnectProviders', 'iam:GetOpenIDConnectProvider', 'iam:ListAccessKeys']));
  });

  it('AuditReadOnlyAccess grants the audit queries and nothing else; relations need their own permission', async () => {
    const auditor = await userWithPolicies(t, a, [AUDIT_READ_ONLY]);
    const q = queries(names);
    for (const name of ['auditEvents', 'auditEvent', 'auditSummary', 'verifyAuditChain']) {
      const r = await gql(t, auditor.token, q[name]![0], q[name]![1]);
      expect(r.body.errors, `${name}: ${JSON.stringify(r.body)}`).toBeUndefined();
    }
    expect((await gql(t, auditor.token, q.users![0], q.users![1])).body.errors?.[0]?.extensions.code).toBe('FORBIDDEN');
    // The actor relation asks iam:GetUser: the records come back, the actor field is refused.
    const withActor = await gql(t, auditor.token, `query($account: ID!) { auditEvents(account: $account, first: 1, filter: { actions: ["iam:CreateUser"] }) { edges { node { action actor { __typename } } } } }`, { account: a.accountId });
    expect(withActor.body.data!.auditEvents.edges[0].node.action).toBeTruthy();
    expect(withActor.body.data!.auditEvents.edges[0].node.actor).toBeNull();
    expect(withActor.body.errors?.[0]?.extensions.code).toBe('FORBIDDEN');

    // The same relation on many rows is checked once per request: one refusal audited per distinct actor, not one per row.
    const refusals = () => t.prisma.auditEvent.count({ where: { chain: a.accountId, outcome: 'denied', action: 'iam:GetUser', actorArn: { endsWith: `user/${auditor.userName}` } } });
    const before = await refusals();
    const many = await gql(t, auditor.token, `query($account: ID!) { auditEvents(account: $account, first: 20) { edges { node { actorArn actor { __typename } } } } }`, { account: a.accountId });
    const actors = new Set(many.body.data!.auditEvents.edges.map((e: { node: { actorArn: string | null } }) => e.node.actorArn).filter((x: string | null) => x !== null));
    expect(many.body.data!.auditEvents.edges.length).toBeGreaterThan(actors.size);
    expect(await refusals()).toBe(before + actors.size);
  });

  it('ReadOnlyAccess reads the identities with their relations (a user\'s groups, keys and policies, a key\'s user, a role\'s policies)', async () => {
    const reader = await userWithPolicies(t, a, ['arn:aws:iam::aws:policy/ReadOnlyAccess']);
    const r = await gql(
      t,
      reader.token,
      `query($account: ID!, $role: String!) {
        users(account: $account) { userName groups { groupName } accessKeys { accessKeyId user { userName } } attachedPolicies { policyArn } }
        role(account: $account, name: $role) { roleName attachedPolicies { policyName } }
        groups(account: $account) { groupName attachedPolicies { policyArn } }
      }`,
      { account: a.accountId, role: names.roleName },
    );
    expect(r.body.errors, JSON.stringify(r.body)).toBeUndefined();
    const u = r.body.data!.users.find((x: any) => x.userName === names.userName);
    expect(u.groups).toEqual([{ groupName: 'iso-group' }]);
    expect(u.accessKeys).toHaveLength(1);
    expect(u.accessKeys[0].user.userName).toBe(names.userName);
    const me = r.body.data!.users.find((x: any) => x.userName === reader.userName);
    expect(me.attachedPolicies).toEqual([{ policyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' }]);
    expect(r.body.data!.role.attachedPolicies).toEqual([{ policyName: 'ReadOnlyAccess' }]);
  });

  it('the actor of a record is never resolved into another account', async () => {
    // B's records name B's principals; A's auditEvents never contain them, and an actor ARN of another account resolves to null.
    const r = await gql(t, a.rootToken, `query($account: ID!) { auditEvents(account: $account, first: 500) { edges { node { actorArn actor { ... on User { arn } ... on Role { arn } } } } } }`, { account: a.accountId });
    expect(r.body.errors, JSON.stringify(r.body)).toBeUndefined();
    for (const e of r.body.data!.auditEvents.edges) {
      expect(e.node.actorArn ?? '').not.toContain(b.accountId);
      if (e.node.actor) expect(e.node.actor.arn).toContain(`::${a.accountId}:`);
    }
  });

  it('operators read any account; an account that does not exist is NOT_FOUND', async () => {
    for (const [name, [q, v]] of Object.entries(queries(names))) {
      const r = await gql(t, t.operatorToken, q, v);
      expect(r.body.errors, `${name}: ${JSON.stringify(r.body)}`).toBeUndefined();
    }
    const r = await gql(t, t.operatorToken, `query { users(account: "000000000000") { userName } }`);
    expect(r.body.errors?.[0]?.extensions.code).toBe('NOT_FOUND');
  });

  it('no credentials, or credentials GraphQL does not take, are UNAUTHENTICATED', async () => {
    const res = await t.http.post('/graphql').set('content-type', 'application/json').send({ query: `query { users(account: "${a.accountId}") { userName } }` });
    expect(res.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
    expect(res.body.data?.users ?? null).toBeNull();
    const bad = await gql(t, 'cbs_not-a-session', `query { users(account: "${a.accountId}") { userName } }`);
    expect(bad.body.errors?.[0]?.extensions.code).toBe('UNAUTHENTICATED');
  });
});
