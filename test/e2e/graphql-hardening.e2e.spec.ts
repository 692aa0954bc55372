import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountWithRoot, bearer, type TestAccount } from '../support/factories.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

type GqlBody = { data?: Record<string, unknown> | null; errors?: { message: string; extensions: Record<string, unknown> }[] };

describe('GraphQL: hardening', () => {
  let t: TestApp;
  let a: TestAccount;

  const post = (body: unknown, token = a.rootToken) => t.http.post('/graphql').set(bearer(token)).set('content-type', 'application/json').send(body as object);

  beforeAll(async () => {
    t = await startTestApp();
    a = await accountWithRoot(t);
  });
  afterAll(() => t.close());

  const expectRefused = (res: { status: number; body: GqlBody }, code: string, text?: RegExp) => {
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.body.errors?.[0]?.extensions.code, JSON.stringify(res.body)).toBe(code);
    if (text) expect(res.body.errors?.[0]?.message).toMatch(text);
    expect(res.body.data ?? undefined).toBeUndefined();
    expect(JSON.stringify(res.body)).not.toMatch(/stacktrace|\bat .*\.(ts|js):\d+/);
  };

  it('refuses queries nested deeper than 8 levels', async () => {
    // Introspection-style nesting through the schema's own types: __type → fields → type → ofType …
    const deep = `query { __type(name: "User") { fields { type { ofType { ofType { ofType { ofType { ofType { ofType { name } } } } } } } } } }`;
    const ok = `query { auditEvents(account: "${a.accountId}") { edges { node { actor { ... on User { accessKeys { user { groups { groupName } } } } } } } } }`;
    expectRefused(await post({ query: deep }), 'GRAPHQL_VALIDATION_FAILED', /depth/i);
    const fine = await post({ query: ok });
    expect(fine.status, JSON.stringify(fine.body)).toBe(200);
    const tooDeep = `query { auditEvents(account: "${a.accountId}") { edges { node { actor { ... on User { accessKeys { user { groups { groupName } accessKeys { user { userName } } } } } } } } } }`;
    expectRefused(await post({ query: tooDeep }), 'GRAPHQL_VALIDATION_FAILED', /depth/i);
  });

  it('refuses too costly queries (page sizes multiply), counting variables', async () => {
    const q = `query($n: Int) { auditEvents(account: "${a.accountId}", first: $n) { edges { node { id seq time action outcome actorArn resourceArn sourceIp userAgent requestId details hash
      actor { ... on User { userName groups { groupName } accessKeys { accessKeyId } } } } } } }`;
    const small = await post({ query: q, variables: { n: 5 } });
    expect(small.status, JSON.stringify(small.body)).toBe(200);
    expectRefused(await post({ query: q, variables: { n: 500 } }), 'QUERY_TOO_COMPLEX', /too complex/);
  });

  it('caps aliases at 30', async () => {
    const fields = (n: number) => Array.from({ length: n }, (_, i) => `a${i}: auditSummary(account: "${a.accountId}") { total }`).join('\n');
    const ok = await post({ query: `query { ${fields(3)} }` });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expectRefused(await post({ query: `query { ${fields(31)} }` }), 'GRAPHQL_VALIDATION_FAILED', /alias/i);
  });

  it('refuses batched requests (one operation per HTTP request)', async () => {
    const res = await post([{ query: '{ __typename }' }, { query: '{ __typename }' }]);
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).not.toContain('"__typename":"Query"');
  });

  it('GET runs queries only with the CSRF preflight header, and never a mutation', async () => {
    const q = encodeURIComponent(`query { account(id: "${a.accountId}") { accountId } }`);
    const noPreflight = await t.http.get(`/graphql?query=${q}`).set(bearer(a.rootToken));
    expect(noPreflight.status).toBe(400);
    const withPreflight = await t.http.get(`/graphql?query=${q}`).set(bearer(a.rootToken)).set('apollo-require-preflight', 'true');
    expect(withPreflight.status, JSON.stringify(withPreflight.body)).toBe(200);
    expect(withPreflight.body.data.account.accountId).toBe(a.accountId);
    const mutation = await t.http.get(`/graphql?query=${encodeURIComponent('mutation { x }')}`).set(bearer(a.rootToken)).set('apollo-require-preflight', 'true');
    expect(mutation.status).toBe(405);
    expect(mutation.body.data ?? undefined).toBeUndefined();
    // There are no mutations at all.
    const posted = await post({ query: 'mutation { x }' });
    expect(posted.body.errors.length).toBeGreaterThan(0);
    expect(posted.body.data ?? null).toBeNull();
  });

  it('malformed queries and variables are 400 in GraphQL format, without stack traces', async () => {
    expectRefused(await post({ query: 'query { auditEvents(account: ' }), 'GRAPHQL_PARSE_FAILED');
    expectRefused(await post({ query: 'query { nope }' }), 'GRAPHQL_VALIDATION_FAILED');
    expectRefused(await post({ query: 'query($n: Int) { auditEvents(account: "1", first: $n) { pageInfo { hasNextPage } } }', variables: { n: 'many' } }), 'BAD_USER_INPUT');
    const noQuery = await post({ variables: {} });
    expect(noQuery.status).toBe(400);
    expect(noQuery.body.errors?.[0]?.extensions?.code).toBe('BAD_REQUEST');
    // A body that is not JSON never reaches GraphQL, and still answers in GraphQL's format.
    const notJson = await t.http.post('/graphql').set(bearer(a.rootToken)).set('content-type', 'application/json').send('{"query": ');
    expect(notJson.status).toBe(400);
    expect(notJson.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(notJson.body.errors[0].message).toMatch(/JSON/);
    // A resolver's failure (unknown account): data null for the field, a coded error, no stack.
    const missing = await post({ query: `query { users(account: "000000000000") { userName } }` });
    expect(missing.status).toBe(200);
    expect(missing.body.errors[0].extensions).toEqual({ code: 'NOT_FOUND', awsCode: 'NoSuchEntity' });
    expect(JSON.stringify(missing.body)).not.toMatch(/stacktrace|\.ts:\d+/);
  });

  it('refuses oversized requests before parsing them', async () => {
    const big = await post({ query: `query { __typename } # ${'x'.repeat(70 * 1024)}` });
    expect(big.status).toBe(413);
    expect(big.body.errors[0].extensions.code).toBe('BAD_REQUEST');
    const many = await post({ query: `query { ${Array.from({ length: 5200 }, () => '__typename').join(' ')} }` });
    expect(many.status).toBe(400);
    expect(many.body.errors[0].message).toMatch(/token/i);
  });

  it('introspection works outside production', async () => {
    const res = await post({ query: '{ __schema { queryType { name } } }' });
    expect(res.status).toBe(200);
    expect((res.body.data as any).__schema.queryType.name).toBe('Query');
  });
});

describe('GraphQL: production mode', () => {
  let t: TestApp;
  let a: TestAccount;

  beforeAll(async () => {
    t = await startTestApp({ NODE_ENV: 'production', FAST_PASSWORD_HASHING: 'false', OIDC_ALLOW_LOOPBACK: 'false' });
    a = await accountWithRoot(t);
  }, 60_000);
  afterAll(() => t?.close());

  it('turns introspection and the IDE off', async () => {
    const res = await t.http.post('/graphql').set(bearer(a.rootToken)).set('content-type', 'application/json').send({ query: '{ __schema { queryType { name } } }' });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(res.body.errors[0].message).toMatch(/introspection/i);
    const ide = await t.http.get('/graphql').set('accept', 'text/html');
    expect(ide.text ?? '').not.toMatch(/graphiql|<html/i);
    // Queries still work.
    const q = await t.http.post('/graphql').set(bearer(a.rootToken)).set('content-type', 'application/json').send({ query: `{ account(id: "${a.accountId}") { accountId } }` });
    expect(q.status, JSON.stringify(q.body)).toBe(200);
  });
});
