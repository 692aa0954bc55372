import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountWithRoot, bearer, bigintSafe, type TestAccount, userWithPolicies } from '../support/factories.js';
import { signedRequest } from '../support/sigv4-client.js';
import { allow, keysOf, policyDoc, role, trustPolicy, userWithKey } from '../support/sts.js';
import { AuditVerifyService } from '../../src/modules/audit/audit-verify.service.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

/** POSTs one GraphQL operation; returns the HTTP status and the body. */
export async function gql(t: TestApp, token: string, query: string, variables: Record<string, unknown> = {}) {
  const res = await t.http.post('/graphql').set(bearer(token)).set('content-type', 'application/json').send({ query, variables });
  return { status: res.status, body: res.body as { data?: Record<string, any> | null; errors?: { message: string; extensions: { code: string; awsCode?: string } }[] } };
}

const EVENTS = `query Events($account: ID!, $filter: AuditFilter, $first: Int, $after: String, $oldestFirst: Boolean) {
  auditEvents(account: $account, filter: $filter, first: $first, after: $after, oldestFirst: $oldestFirst) {
    edges { cursor node { id seq time action outcome errorCode actorArn actorType accessKeyId resourceArn sourceIp sourceIdentity userAgent requestId details hash mfa } }
    pageInfo { hasNextPage endCursor }
  }
}`;

describe('GraphQL: audit queries', () => {
  let t: TestApp;
  let a: TestAccount;

  beforeAll(async () => {
    t = await startTestApp();
    a = await accountWithRoot(t);
  });
  afterAll(() => t.close());

  it('pages newest first, then oldest first, and the pages do not move when records are added meanwhile', async () => {
    // A few dozen records: user creations.
    const h = bearer(a.rootToken);
    for (let i = 0; i < 12; i++) expect((await t.http.post(`/v1/accounts/${a.accountId}/users`).set(h).send({ userName: `pg-${i}` })).status).toBe(201);

    const all = await gql(t, a.rootToken, EVENTS, { account: a.accountId, first: 500 });
    expect(all.status).toBe(200);
    const seqs = all.body.data!.auditEvents.edges.map((e: any) => BigInt(e.node.seq));
    expect(seqs.length).toBeGreaterThanOrEqual(13);
    for (let i = 1; i < seqs.length; i++) expect(seqs[i - 1] - seqs[i]).toBe(1n); // newest first, gap-free

    // Walk pages of 5 while other requests keep appending records.
    const walked: bigint[] = [];
    let after: string | null = null;
    let n = 0;
    for (;;) {
      const [page]: [Awaited<ReturnType<typeof gql>>, unknown] = await Promise.all([
        gql(t, a.rootToken, EVENTS, { account: a.accountId, first: 5, after }),
        t.http.post(`/v1/accounts/${a.accountId}/users`).set(h).send({ userName: `concurrent-${n++}` }),
      ]);
      expect(page.status, JSON.stringify(page.body)).toBe(200);
      const conn: { edges: { node: { seq: string } }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } = page.body.data!.auditEvents;
      walked.push(...conn.edges.map((e: any) => BigInt(e.node.seq)));
      if (!conn.pageInfo.hasNextPage) break;
      after = conn.pageInfo.endCursor;
    }
    // The first page is the newest when the walk started; the rest continue strictly below it: no duplicates, no gaps.
    expect(walked[0]).toBeGreaterThanOrEqual(seqs[0]!);
    for (let i = 1; i < walked.length; i++) expect(walked[i - 1]! - walked[i]!).toBe(1n);
    expect(walked[walked.length - 1]).toBe(1n);

    const oldest = await gql(t, a.rootToken, EVENTS, { account: a.accountId, first: 3, oldestFirst: true });
    expect(oldest.body.data!.auditEvents.edges.map((e: any) => e.node.seq)).toEqual(['1', '2', '3']);
    const next = await gql(t, a.rootToken, EVENTS, { account: a.accountId, first: 3, oldestFirst: true, after: oldest.body.data!.auditEvents.pageInfo.endCursor });
    expect(next.body.data!.auditEvents.edges.map((e: any) => e.node.seq)).toEqual(['4', '5', '6']);
  });

  it('pages a time range in time order, both ways, without losing or repeating a record', async () => {
    const from = new Date(Date.now() - 3_600_000).toISOString();
    const to = new Date(Date.now() + 3_600_000).toISOString();
    const all = await gql(t, a.rootToken, EVENTS, { account: a.accountId, first: 500, filter: { from, to } });
    expect(all.status, JSON.stringify(all.body)).toBe(200);
    const expected = all.body.data!.auditEvents.edges.map((e: any) => e.node.seq as string);
    expect(expected.length).toBeGreaterThan(6);
    for (const oldestFirst of [false, true]) {
      const walked: string[] = [];
      let after: string | null = null;
      for (;;) {
        const page = await gql(t, a.rootToken, EVENTS, { account: a.accountId, first: 4, after, oldestFirst, filter: { from, to } });
        expect(page.status, JSON.stringify(page.body)).toBe(200);
        const conn = page.body.data!.auditEvents;
        walked.push(...conn.edges.map((e: any) => e.node.seq as string));
        if (!conn.pageInfo.hasNextPage) break;
        after = conn.pageInfo.endCursor;
      }
      expect(walked).toEqual(oldestFirst ? [...expected].reverse() : expected);
    }
  });

  it('filters by action, outcome, actor, resource, time, key, source identity and request id', async () => {
    const u = await userWithKey(t, a, policyDoc([allow('iam:ListUsers')]));
    const h = bearer(a.rootToken);
    // A refused request by the user's console session: a denied record.
    const s = await userWithPolicies(t, a, []);
    expect((await t.http.get(`/v1/accounts/${a.accountId}/users`).set(bearer(s.token))).status).toBe(403);
    const reqId = `gql-filter-${Date.now()}`;
    expect((await t.http.post(`/v1/accounts/${a.accountId}/groups`).set(h).set('x-request-id', reqId).send({ groupName: 'filtered' })).status).toBe(201);

    const byAction = await gql(t, a.rootToken, EVENTS, { account: a.accountId, filter: { actions: ['iam:CreateAccessKey', 'iam:CreateGroup'] } });
    const actions = new Set(byAction.body.data!.auditEvents.edges.map((e: any) => e.node.action));
    expect([...actions].sort()).toEqual(['iam:CreateAccessKey', 'iam:CreateGroup']);

    const denied = await gql(t, a.rootToken, EVENTS, { account: a.accountId, filter: { outcome: 'denied' } });
    const deniedNodes = denied.body.data!.auditEvents.edges.map((e: any) => e.node);
    expect(deniedNodes.length).toBeGreaterThanOrEqual(1);
    expect(deniedNodes.every((n: any) => n.outcome === 'denied')).toBe(true);
    expect(deniedNodes.some((n: any) => n.action === 'iam:ListUsers' && n.actorArn?.endsWith(`user/${s.userName}`) && n.errorCode === 'AccessDenied')).toBe(true);

    const rootArn = `arn:aws:iam::${a.accountId}:root`;
    const byActor = await gql(t, a.rootToken, EVENTS, { account: a.accountId, filter: { actorArn: rootArn, actions: ['iam:CreateUser'] } });
    expect(byActor.body.data!.auditEvents.edges.length).toBeGreaterThan(0);
    expect(byActor.body.data!.auditEvents.edges.every((e: any) => e.node.actorArn === rootArn && e.node.action === 'iam:CreateUser')).toBe(true);

    const byResource = await gql(t, a.rootToken, EVENTS, { account: a.accountId, filter: { resourceArn: u.arn } });
    expect(byResource.body.data!.auditEvents.edges.length).toBeGreaterThan(0);
    expect(byResource.body.data!.auditEvents.edges.every((e: any) => e.node.resourceArn === u.arn)).toBe(true);

    const byRequest = await gql(t, a.rootToken, EVENTS, { account: a.accountId, filter: { requestId: reqId } });
    expect(byRequest.body.data!.auditEvents.edges.map((e: any) => e.node.action)).toEqual(['iam:CreateGroup']);

    const byKey = await gql(t, a.rootToken, EVENTS, { account: a.accountId, filter: { accessKeyId: u.keys.accessKeyId } });
    expect(byKey.body.data!.auditEvents.edges.every((e: any) => e.node.accessKeyId === u.keys.accessKeyId)).toBe(true);

    const future = await gql(t, a.rootToken, EVENTS, { account: a.accountId, filter: { from: new Date(Date.now() + 3600_000).toISOString() } });
    expect(future.body.data!.auditEvents.edges).toEqual([]);
    const past = await gql(t, a.rootToken, EVENTS, { account: a.accountId, filter: { to: new Date(Date.now() - 3600_000).toISOString() } });
    expect(past.body.data!.auditEvents.edges).toEqual([]);
    const recent = await gql(t, a.rootToken, EVENTS, { account: a.accountId, first: 5, filter: { from: new Date(Date.now() - 3600_000).toISOString(), to: new Date(Date.now() + 1000).toISOString() } });
    expect(recent.body.data!.auditEvents.edges.length).toBe(5);

    // A role session with a source identity, refused once: the source identity and outcome
    // filters (partial indexes on PostgreSQL) find its records and only those.
    const r = await role(t, a, trustPolicy(a.accountId));
    const caller = await userWithKey(t, a, policyDoc([allow(['sts:AssumeRole', 'sts:SetSourceIdentity'], r.arn)]));
    const sourceIdentity = `filter-${Date.now()}`;
    const assumed = await signedRequest(t, caller.keys, 'POST', '/v1/sts/assume-role', { body: { RoleArn: r.arn, RoleSessionName: 'filtered', SourceIdentity: sourceIdentity } });
    expect(assumed.status).toBe(200);
    expect((await signedRequest(t, keysOf(assumed.body), 'GET', `/v1/accounts/${a.accountId}/users`)).status).toBe(403);
    const bySourceIdentity = await gql(t, a.rootToken, EVENTS, { account: a.accountId, filter: { sourceIdentity } });
    const siNodes = bySourceIdentity.body.data!.auditEvents.edges.map((e: any) => e.node);
    expect(siNodes.map((n: any) => [n.action, n.outcome, n.sourceIdentity])).toEqual([['iam:ListUsers', 'denied', sourceIdentity]]);
    const siDenied = await gql(t, a.rootToken, EVENTS, { account: a.accountId, filter: { sourceIdentity, outcome: 'denied' } });
    expect(siDenied.body.data!.auditEvents.edges.map((e: any) => e.node.seq)).toEqual(siNodes.map((n: any) => n.seq));
    const siSuccess = await gql(t, a.rootToken, EVENTS, { account: a.accountId, filter: { sourceIdentity, outcome: 'success' } });
    expect(siSuccess.body.data!.auditEvents.edges).toEqual([]);

    const success = await gql(t, a.rootToken, EVENTS, { account: a.accountId, first: 100, filter: { outcome: 'success' } });
    const successNodes = success.body.data!.auditEvents.edges.map((e: any) => e.node);
    expect(successNodes.length).toBeGreaterThan(5);
    expect(successNodes.every((n: any) => n.outcome === 'success')).toBe(true);
    expect(successNodes.some((n: any) => n.action === 'sts:AssumeRole' && n.actorArn === caller.arn)).toBe(true);
    const counts = await t.prisma.auditEvent.groupBy({ by: ['outcome'], where: { chain: a.accountId }, _count: { _all: true } });
    const byOutcome = Object.fromEntries(counts.map((c) => [c.outcome, c._count._all]));
    const all = async (outcome: string) => {
      let n = 0;
      let after: string | undefined;
      for (;;) {
        const page = await gql(t, a.rootToken, EVENTS, { account: a.accountId, first: 100, after, filter: { outcome } });
        n += page.body.data!.auditEvents.edges.length;
        if (!page.body.data!.auditEvents.pageInfo.hasNextPage) return n;
        after = page.body.data!.auditEvents.pageInfo.endCursor;
      }
    };
    expect(await all('success')).toBe(byOutcome.success);
    expect(await all('denied')).toBe(byOutcome.denied);

    const none = await gql(t, a.rootToken, EVENTS, { account: a.accountId, filter: { sourceIdentity: 'nobody-has-this', sourceIp: '203.0.113.77' } });
    expect(none.body.data!.auditEvents.edges).toEqual([]);
  });

  it('refuses bad arguments with BAD_USER_INPUT (cursor, page size, outcome, time range)', async () => {
    for (const v of [
      { first: 0 },
      { first: 501 },
      { after: 'not-a-cursor' },
      { after: Buffer.from('seq:abc').toString('base64url') },
      { filter: { outcome: 'maybe' } },
      { filter: { from: new Date().toISOString(), to: new Date(Date.now() - 1000).toISOString() } },
    ]) {
      const r = await gql(t, a.rootToken, EVENTS, { account: a.accountId, ...v });
      expect(r.body.errors?.[0]?.extensions.code, JSON.stringify(v)).toBe('BAD_USER_INPUT');
      expect(r.body.data?.auditEvents ?? null).toBeNull();
    }
    const badAccount = await gql(t, a.rootToken, EVENTS, { account: 'nope' });
    expect(badAccount.body.errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
  });

  it('auditEvent by id, auditSummary and the actor relation', async () => {
    const first = await gql(t, a.rootToken, EVENTS, { account: a.accountId, first: 1, filter: { actions: ['iam:CreateUser'] } });
    const node = first.body.data!.auditEvents.edges[0].node;
    const one = await gql(t, a.rootToken, `query($account: ID!, $id: ID!) { auditEvent(account: $account, id: $id) { id action hash actor { __typename ... on User { userName arn } } } }`, {
      account: a.accountId,
      id: node.id,
    });
    expect(one.body.data!.auditEvent).toMatchObject({ id: node.id, action: 'iam:CreateUser', hash: node.hash, actor: { __typename: 'User', userName: 'root' } });

    const missing = await gql(t, a.rootToken, `query($account: ID!) { auditEvent(account: $account, id: "999999999") { id } }`, { account: a.accountId });
    expect(missing.body.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', awsCode: 'NoSuchEntity' });

    const r = await role(t, a, trustPolicy(a.accountId), { policies: [] });
    void r;
    const sum = await gql(
      t,
      a.rootToken,
      `query($account: ID!, $from: DateTime) { auditSummary(account: $account, from: $from) { total byActionAndOutcome { action outcome count } topActors { actorArn count } topRefusedCallers { actorArn count } topRefusedSourceIps { sourceIp count } } }`,
      { account: a.accountId, from: new Date(Date.now() - 3600_000).toISOString() },
    );
    expect(sum.status, JSON.stringify(sum.body)).toBe(200);
    const s = sum.body.data!.auditSummary;
    expect(s.total).toBe(s.byActionAndOutcome.reduce((n: number, c: any) => n + c.count, 0));
    expect(s.byActionAndOutcome.find((c: any) => c.action === 'iam:CreateUser' && c.outcome === 'success').count).toBeGreaterThanOrEqual(12);
    expect(s.topActors[0].actorArn).toBe(`arn:aws:iam::${a.accountId}:root`);
    expect(s.topRefusedCallers.length).toBeGreaterThanOrEqual(1);
  });

  it('verifyAuditChain calls the verifier for the account and range', async () => {
    const v = await gql(t, a.rootToken, `query($account: ID!) { verifyAuditChain(account: $account) { account ok checked firstSeq lastSeq brokenAt { seq kind message } } }`, { account: a.accountId });
    expect(v.status, JSON.stringify(v.body)).toBe(200);
    // Whatever the verifier finds, GraphQL reports it as is (bigints as decimal strings).
    const direct = await t.app.get(AuditVerifyService).verify(a.accountId, {});
    expect(v.body.data!.verifyAuditChain).toEqual({
      account: a.accountId,
      ok: direct.ok,
      checked: direct.checked,
      firstSeq: direct.firstSeq === null ? null : direct.firstSeq.toString(),
      lastSeq: direct.lastSeq === null ? null : direct.lastSeq.toString(),
      brokenAt: direct.brokenAt ? { seq: direct.brokenAt.seq.toString(), kind: direct.brokenAt.kind, message: direct.brokenAt.message } : null,
    });
    const ranged = await gql(t, a.rootToken, `query($account: ID!, $from: DateTime, $to: DateTime) { verifyAuditChain(account: $account, from: $from, to: $to) { checked } }`, {
      account: a.accountId,
      from: new Date(Date.now() + 3600_000).toISOString(),
      to: new Date(Date.now() + 7200_000).toISOString(),
    });
    expect(ranged.status, JSON.stringify(ranged.body)).toBe(200);
    expect(ranged.body.data!.verifyAuditChain.checked).toBe(0);
  });

  it('never returns a secret: access-key metadata, users and audit records carry none', async () => {
    const u = await userWithKey(t, a);
    const res = await gql(
      t,
      a.rootToken,
      `query($account: ID!) {
        accessKeys(account: $account) { accessKeyId status source createDate user { userName } }
        users(account: $account, first: 1000) { userName hasConsolePassword accessKeys { accessKeyId } }
        auditEvents(account: $account, first: 500) { edges { node { details userAgent resourceArn } } }
      }`,
      { account: a.accountId },
    );
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const text = bigintSafe(res.body);
    expect(text).toContain(u.keys.accessKeyId);
    expect(text).not.toContain(u.keys.secretAccessKey);
    expect(text).not.toContain('Root-Passw0rd');
    expect(text).not.toContain('User-Passw0rd');
    expect(text).not.toMatch(/"secret/i);
    const key = res.body.data!.accessKeys.find((k: any) => k.accessKeyId === u.keys.accessKeyId);
    expect(key).toMatchObject({ status: 'Active', source: 'broker', user: { userName: u.userName } });
  });
});
