import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PoliciesRepository } from '../../src/modules/policies/policies.repository.js';
import { ADMIN, READ_ONLY, USER_PASSWORD, accountWithRoot, bearer, signIn, userWithPolicies, type TestAccount } from '../support/factories.js';
import { createRole, trustAccount, trustPrincipal } from '../support/roles.js';
import { DB_KIND, startTestApp, uniq, type TestApp } from '../support/test-app.js';

describe(`IAM roles (${DB_KIND})`, () => {
  let t: TestApp;
  let a: TestAccount;
  beforeAll(async () => {
    t = await startTestApp();
    a = await accountWithRoot(t);
  });
  afterAll(async () => {
    await t?.close();
  });

  const rolesUrl = (acct = a.accountId) => `/v1/accounts/${acct}/roles`;
  const root = () => bearer(a.rootToken);
  const errorOf = (res: { status: number; body: { error?: { code: string; message: string } } }) => ({ status: res.status, code: res.body.error?.code });
  const oidcArn = (acct: string, hostPath = 'token.actions.githubusercontent.com') => `arn:aws:iam::${acct}:oidc-provider/${hostPath}`;

  describe('CRUD', () => {
    it('creates a role with AWS defaults and shows it in get and list', async () => {
      const roleName = uniq('Deploy-');
      const res = await t.http.post(rolesUrl()).set(root()).send({ roleName, assumeRolePolicyDocument: trustAccount(a.accountId) });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      expect(res.body).toMatchObject({
        roleName,
        arn: `arn:aws:iam::${a.accountId}:role/${roleName}`,
        path: '/',
        description: null,
        maxSessionDuration: 3600,
        assumeRolePolicyDocument: trustAccount(a.accountId),
        claimMapping: {},
        awsRoleArn: null,
        tags: [],
      });
      expect(res.body.roleId).toMatch(/^AROA[A-Z2-7]{17}$/);
      expect(new Date(res.body.createDate).getTime()).toBeGreaterThan(Date.now() - 60_000);

      // Names are looked up ignoring case, as in IAM.
      const got = await t.http.get(`${rolesUrl()}/${roleName.toUpperCase()}`).set(root());
      expect(got.status).toBe(200);
      expect(got.body).toEqual(res.body);

      const list = await t.http.get(rolesUrl()).set(root());
      expect(list.status).toBe(200);
      expect(list.body.roles.map((r: { roleName: string }) => r.roleName)).toContain(roleName);
    });

    it('takes path, description, duration, tags (both forms), claim mapping, and a trust policy given as JSON text', async () => {
      const trust = trustAccount(a.accountId, ['sts:AssumeRole', 'sts:TagSession']);
      const r = await createRole(t, a, {
        path: '/team/ci/',
        description: 'CI deploys',
        maxSessionDuration: 43_200,
        assumeRolePolicyDocument: JSON.stringify(trust, null, 2),
        tags: [
          { Key: 'team', Value: 'payments' },
          { Key: 'env', Value: '' },
        ],
        claimMapping: { sessionTags: { repo: 'repository', branch: 'ref' }, sourceIdentity: 'actor' },
      });
      expect(r.arn).toBe(`arn:aws:iam::${a.accountId}:role/team/ci/${r.roleName}`);
      expect(r).toMatchObject({ path: '/team/ci/', description: 'CI deploys', maxSessionDuration: 43_200, assumeRolePolicyDocument: trust });
      expect(r.tags).toHaveLength(2);
      expect(r.tags).toEqual(
        expect.arrayContaining([
          { key: 'team', value: 'payments' },
          { key: 'env', value: '' },
        ]),
      );
      expect(r.claimMapping).toEqual({ sessionTags: { repo: 'repository', branch: 'ref' }, sourceIdentity: 'actor' });
      const objectTags = await createRole(t, a, { tags: { owner: 'alice' } });
      expect(objectTags.tags).toEqual([{ key: 'owner', value: 'alice' }]);

      const byPrefix = await t.http.get(`${rolesUrl()}?pathPrefix=/team/`).set(root());
      expect(byPrefix.status).toBe(200);
      expect(byPrefix.body.roles.map((x: { roleName: string }) => x.roleName)).toEqual([r.roleName]);
      expect((await t.http.get(`${rolesUrl()}?pathPrefix=team`).set(root())).status).toBe(400);
    });

    it('updates description, duration, claim mapping and trust policy, each with one audit record; deletes', async () => {
      const r = await createRole(t, a, { description: 'before' });
      const url = `${rolesUrl()}/${r.roleName}`;

      const upd = await t.http.patch(url).set(root()).send({ description: 'after', maxSessionDuration: 7200, claimMapping: { sourceIdentity: 'sub' } });
      expect(upd.status, JSON.stringify(upd.body)).toBe(200);
      expect(upd.body).toMatchObject({ roleName: r.roleName, roleId: r.roleId, description: 'after', maxSessionDuration: 7200, claimMapping: { sourceIdentity: 'sub' } });
      // Fields not sent stay as they were.
      const partial = await t.http.patch(url).set(root()).send({ maxSessionDuration: 3600 });
      expect(partial.body).toMatchObject({ description: 'after', maxSessionDuration: 3600, claimMapping: { sourceIdentity: 'sub' } });

      const newTrust = trustPrincipal(`arn:aws:iam::${a.accountId}:user/alice`, ['sts:AssumeRole', 'sts:SetSourceIdentity']);
      const put = await t.http.put(`${url}/trust-policy`).set(root()).send({ document: JSON.stringify(newTrust) });
      expect(put.status, JSON.stringify(put.body)).toBe(200);
      expect(put.body.assumeRolePolicyDocument).toEqual(newTrust);
      expect((await t.http.get(url).set(root())).body.assumeRolePolicyDocument).toEqual(newTrust);

      expect((await t.http.delete(url).set(root())).status).toBe(204);
      const gone = await t.http.get(url).set(root());
      expect(errorOf(gone)).toEqual({ status: 404, code: 'NoSuchEntity' });
      expect(errorOf(await t.http.delete(url).set(root()))).toEqual({ status: 404, code: 'NoSuchEntity' });
      expect(errorOf(await t.http.patch(url).set(root()).send({ description: 'x' }))).toEqual({ status: 404, code: 'NoSuchEntity' });
      expect(errorOf(await t.http.put(`${url}/trust-policy`).set(root()).send({ document: newTrust }))).toEqual({ status: 404, code: 'NoSuchEntity' });

      const events = await t.prisma.auditEvent.findMany({ where: { chain: a.accountId, resourceArn: r.arn }, orderBy: { seq: 'asc' } });
      expect(events.map((e) => e.action)).toEqual(['iam:CreateRole', 'iam:UpdateRole', 'iam:UpdateRole', 'iam:UpdateAssumeRolePolicy', 'iam:DeleteRole']);
      expect(events.every((e) => e.outcome === 'success')).toBe(true);
      // Audit records name the role and fingerprint the trust policy, without carrying the document.
      const trustEvent = events.find((e) => e.action === 'iam:UpdateAssumeRolePolicy')!;
      expect(trustEvent.details).toMatchObject({ roleName: r.roleName, trustPolicySha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
      expect(JSON.stringify(events.map((e) => e.details))).not.toContain('Statement');
    });

    it('refuses a second role with the same name in any case, in the same account only', async () => {
      const r = await createRole(t, a);
      for (const roleName of [r.roleName, r.roleName.toUpperCase()]) {
        const dup = await t.http.post(rolesUrl()).set(root()).send({ roleName, path: '/other/', assumeRolePolicyDocument: trustAccount(a.accountId) });
        expect(errorOf(dup)).toEqual({ status: 409, code: 'EntityAlreadyExists' });
      }
      // Another account may use the name.
      const b = await accountWithRoot(t);
      await createRole(t, b, { roleName: r.roleName });
    });
  });

  describe('validation', () => {
    const create = (body: Record<string, unknown>) => t.http.post(rolesUrl()).set(root()).send({ roleName: uniq('v-'), assumeRolePolicyDocument: trustAccount(a.accountId), ...body });

    it('checks names, paths, descriptions and durations', async () => {
      for (const roleName of ['', 'has space', 'slash/no', 'x'.repeat(65), 'bad!']) {
        expect(errorOf(await create({ roleName })), roleName).toEqual({ status: 400, code: 'ValidationError' });
      }
      expect((await create({ roleName: `ok+=,.@_-${uniq()}` })).status).toBe(201);
      for (const path of ['nope', '/no-trailing', '//']) {
        expect(errorOf(await create({ path })), path).toEqual({ status: 400, code: 'ValidationError' });
      }
      expect(errorOf(await create({ description: 'x'.repeat(1001) }))).toEqual({ status: 400, code: 'ValidationError' });
      for (const maxSessionDuration of [3599, 43_201, 0, 7200.5, '7200', 'forever']) {
        expect(errorOf(await create({ maxSessionDuration })), String(maxSessionDuration)).toEqual({ status: 400, code: 'ValidationError' });
      }
      for (const maxSessionDuration of [3600, 43_200]) expect((await create({ maxSessionDuration })).status).toBe(201);
      expect(errorOf(await create({ unknownField: 1 }))).toEqual({ status: 400, code: 'ValidationError' });
      expect(errorOf(await create({ assumeRolePolicyDocument: undefined }))).toEqual({ status: 400, code: 'ValidationError' });
      const r = await createRole(t, a);
      expect(errorOf(await t.http.patch(`${rolesUrl()}/${r.roleName}`).set(root()).send({ maxSessionDuration: 50_000 }))).toEqual({ status: 400, code: 'ValidationError' });
      expect(errorOf(await t.http.patch(`${rolesUrl()}/${r.roleName}`).set(root()).send({ roleName: 'renamed' }))).toEqual({ status: 400, code: 'ValidationError' });
    });

    it('accepts only trust policies that govern assuming the role', async () => {
      const stmt = (extra: Record<string, unknown>) => ({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: a.accountId }, Action: 'sts:AssumeRole', ...extra }] });
      const malformed: [string, unknown][] = [
        ['not JSON', '{"Version": "2012-10-17", '],
        ['a JSON array', '[]'],
        ['a number', 42],
        ['no statement', { Version: '2012-10-17' }],
        ['no principal', { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole' }] }],
        ['a resource', stmt({ Resource: '*' })],
        ['a not-resource', stmt({ NotResource: '*' })],
        ['an IAM action', stmt({ Action: 'iam:CreateUser' })],
        ['every action', stmt({ Action: '*' })],
        ['an STS action a trust policy does not govern', stmt({ Action: 'sts:GetSessionToken' })],
        ['a wildcard matching no trust action', stmt({ Action: 'sts:Get*' })],
        ['NotAction', { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: a.accountId }, NotAction: 'iam:*' }] }],
        ['a Federated principal that is not an OIDC provider', stmt({ Principal: { Federated: 'cognito-identity.amazonaws.com' } })],
        ['a SAML provider', stmt({ Principal: { Federated: `arn:aws:iam::${a.accountId}:saml-provider/corp` } })],
        ['an OIDC provider of another account', stmt({ Principal: { Federated: oidcArn('123456789012') } })],
        ['an unknown element', stmt({ Bogus: 1 })],
        ['a bad condition operator', stmt({ Condition: { StringEqulas: { 'sts:ExternalId': 'x' } } })],
      ];
      for (const [what, doc] of malformed) {
        const res = await create({ assumeRolePolicyDocument: doc });
        expect(errorOf(res), what).toEqual({ status: 400, code: typeof doc === 'number' ? 'ValidationError' : 'MalformedPolicyDocument' });
        expect(res.body.error.message.length, what).toBeLessThan(400);
      }

      // Larger than the (raised) ACLSizePerRole quota.
      const big = stmt({ Condition: { StringEquals: { 'sts:ExternalId': Array.from({ length: 300 }, (_, i) => `external-${i}`) } } });
      expect(errorOf(await create({ assumeRolePolicyDocument: big }))).toEqual({ status: 409, code: 'LimitExceeded' });

      const accepted: [string, unknown][] = [
        ['sts:*', stmt({ Action: 'sts:*' })],
        ['a wildcard matching trust actions', stmt({ Action: ['sts:Assume*', 'STS:tagsession'] })],
        ['an OIDC provider of the account that does not exist yet', stmt({ Principal: { Federated: oidcArn(a.accountId, 'gitlab.example.com/ci') }, Action: 'sts:AssumeRoleWithWebIdentity' })],
        ['a service principal', stmt({ Principal: { Service: 'ec2.amazonaws.com' } })],
        ['everyone, with a condition', stmt({ Principal: '*', Condition: { StringEquals: { 'sts:ExternalId': 'x' } } })],
        ['a deny with NotPrincipal', { Version: '2012-10-17', Statement: [stmt({}).Statement[0], { Effect: 'Deny', NotPrincipal: { AWS: a.accountId }, Action: 'sts:AssumeRole' }] }],
      ];
      for (const [what, doc] of accepted) {
        const res = await create({ assumeRolePolicyDocument: doc });
        expect(res.status, `${what}: ${JSON.stringify(res.body)}`).toBe(201);
      }

      const r = await createRole(t, a);
      const put = await t.http.put(`${rolesUrl()}/${r.roleName}/trust-policy`).set(root()).send({ document: stmt({ Resource: '*' }) });
      expect(errorOf(put)).toEqual({ status: 400, code: 'MalformedPolicyDocument' });
      expect((await t.http.get(`${rolesUrl()}/${r.roleName}`).set(root())).body.assumeRolePolicyDocument).toEqual(r.assumeRolePolicyDocument);
    });

    it('checks claim mappings and tags', async () => {
      const badMappings: unknown[] = [
        'sub',
        [],
        { sessionTag: { repo: 'repository' } },
        { sessionTags: ['repository'] },
        { sessionTags: { 'bad key!': 'repository' } },
        { sessionTags: { 'aws:repo': 'repository' } },
        { sessionTags: { ['k'.repeat(129)]: 'repository' } },
        { sessionTags: { repo: '' } },
        { sessionTags: { repo: 'c'.repeat(129) } },
        { sessionTags: { repo: 'bad\u0001claim' } },
        { sessionTags: { repo: 42 } },
        { sessionTags: { Repo: 'a', repo: 'b' } },
        { sessionTags: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`t${i}`, 'c'])) },
        { sourceIdentity: 7 },
        { sourceIdentity: '' },
      ];
      for (const claimMapping of badMappings) {
        expect(errorOf(await create({ claimMapping })), JSON.stringify(claimMapping).slice(0, 80)).toEqual({ status: 400, code: 'ValidationError' });
      }
      const fifty = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`t${i}`, `claim_${i}`]));
      expect((await create({ claimMapping: { sessionTags: fifty, sourceIdentity: 'https://example.com/claims/actor' } })).status).toBe(201);

      const r = await createRole(t, a, { claimMapping: { sourceIdentity: 'actor' } });
      expect(errorOf(await t.http.patch(`${rolesUrl()}/${r.roleName}`).set(root()).send({ claimMapping: { sessionTags: { 'x y!': 'c' } } }))).toEqual({ status: 400, code: 'ValidationError' });
      const cleared = await t.http.patch(`${rolesUrl()}/${r.roleName}`).set(root()).send({ claimMapping: {} });
      expect(cleared.body.claimMapping).toEqual({});

      for (const tags of [{ 'aws:x': 'v' }, { 'bad key!': 'v' }, { k: 'bad value!' }, [{ Key: 'k' }], [{ Key: 'k', Value: 'v', Extra: 1 }], 'k=v', [{ Key: 'a', Value: '1' }, { Key: 'A', Value: '2' }]]) {
        expect(errorOf(await create({ tags })), JSON.stringify(tags)).toEqual({ status: 400, code: 'ValidationError' });
      }
      expect(errorOf(await create({ tags: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`t${i}`, 'v'])) }))).toEqual({ status: 409, code: 'LimitExceeded' });
    });

    it('binds a role to an AWS role only in the linked AWS account, and unbinds it', async () => {
      const b = await accountWithRoot(t);
      const bRoles = rolesUrl(b.accountId);
      const awsRole = 'arn:aws:iam::210987654321:role/service/broker-ci';
      const send = (body: Record<string, unknown>) => t.http.post(bRoles).set(bearer(b.rootToken)).send({ roleName: uniq('up-'), assumeRolePolicyDocument: trustAccount(b.accountId), ...body });

      const unlinked = await send({ awsRoleArn: awsRole });
      expect(errorOf(unlinked)).toEqual({ status: 400, code: 'ValidationError' });
      expect(unlinked.body.error.message).toMatch(/link/i);

      const link = await t.http.put(`/v1/accounts/${b.accountId}/aws-link`).set(bearer(t.operatorToken)).send({ awsAccountId: '210987654321' });
      expect(link.status, JSON.stringify(link.body)).toBe(200);

      for (const awsRoleArn of ['not-an-arn', 'arn:aws:iam::210987654321:user/alice', 'arn:aws:iam::21098765432:role/x', 'arn:aws:iam::210987654321:role/', 'arn:aws:s3:::bucket']) {
        expect(errorOf(await send({ awsRoleArn })), awsRoleArn).toEqual({ status: 400, code: 'ValidationError' });
      }
      const otherAccount = await send({ awsRoleArn: 'arn:aws:iam::111122223333:role/broker-ci' });
      expect(errorOf(otherAccount)).toEqual({ status: 400, code: 'ValidationError' });
      expect(otherAccount.body.error.message).toContain('210987654321');

      const ok = await send({ awsRoleArn: awsRole });
      expect(ok.status, JSON.stringify(ok.body)).toBe(201);
      expect(ok.body.awsRoleArn).toBe(awsRole);
      const url = `${bRoles}/${ok.body.roleName}`;
      expect(errorOf(await t.http.patch(url).set(bearer(b.rootToken)).send({ awsRoleArn: 'arn:aws:iam::111122223333:role/x' }))).toEqual({ status: 400, code: 'ValidationError' });
      const rebound = await t.http.patch(url).set(bearer(b.rootToken)).send({ awsRoleArn: 'arn:aws:iam::210987654321:role/other' });
      expect(rebound.body.awsRoleArn).toBe('arn:aws:iam::210987654321:role/other');
      const unbound = await t.http.patch(url).set(bearer(b.rootToken)).send({ awsRoleArn: null });
      expect(unbound.status).toBe(200);
      expect(unbound.body.awsRoleArn).toBeNull();
      const events = await t.prisma.auditEvent.findMany({ where: { chain: b.accountId, resourceArn: ok.body.arn, action: 'iam:UpdateRole' }, orderBy: { seq: 'asc' } });
      expect(events.map((e) => (e.details as { awsRoleArn?: string | null }).awsRoleArn)).toEqual(['arn:aws:iam::210987654321:role/other', null]);
    });
    it('answers odd role names in the path and odd bodies with a 4xx', async () => {
      for (const name of ['x'.repeat(300), 'a%20b', '%C3%A9t%C3%A9', '..', 'a%00b']) {
        for (const [m, p, body] of [
          ['get', `${rolesUrl()}/${name}`, undefined],
          ['patch', `${rolesUrl()}/${name}`, { description: 'x' }],
          ['put', `${rolesUrl()}/${name}/trust-policy`, { document: trustAccount(a.accountId) }],
          ['delete', `${rolesUrl()}/${name}`, undefined],
          ['get', `${rolesUrl()}/${name}/attached-policies`, undefined],
          ['get', `${rolesUrl()}?pathPrefix=/${name}/`, undefined],
          ['get', `${rolesUrl()}?marker=${name}`, undefined],
        ] as const) {
          const res = await t.http[m](p).set(root()).send(body as object | undefined);
          // A listing by an odd (but well-formed) prefix is simply empty; everything else is refused.
          if (!p.includes('?')) expect(res.status, `${m} ${p}: ${JSON.stringify(res.body)}`).toBeGreaterThanOrEqual(400);
          expect(res.status, `${m} ${p}: ${JSON.stringify(res.body)}`).toBeLessThan(500);
        }
      }
      const r = await createRole(t, a);
      const roleUrl = `${rolesUrl()}/${r.roleName}`;
      for (const [m, p, body] of [
        ['get', `${roleUrl}/inline-policies/a%00b`, undefined],
        ['delete', `${roleUrl}/inline-policies/a%00b`, undefined],
        ['post', `${roleUrl}/attached-policies`, { policyArn: `arn:aws:iam::${a.accountId}:policy/a\u0000b` }],
        ['delete', `${roleUrl}/attached-policies?policyArn=arn:aws:iam::${a.accountId}:policy/a%00b`, undefined],
      ] as const) {
        const res = await t.http[m](p).set(root()).send(body as object | undefined);
        expect(errorOf(res), `${m} ${p}`).toEqual({ status: 404, code: 'NoSuchEntity' });
      }
      expect((await t.http.get(`${roleUrl}/inline-policies/${'x'.repeat(300)}`).set(root())).status).toBe(400);
      for (const body of [{ awsRoleArn: 123 }, { claimMapping: 'x' }, { description: 5 }, { maxSessionDuration: '3600' }]) {
        expect(errorOf(await t.http.patch(`${rolesUrl()}/${r.roleName}`).set(root()).send(body)), JSON.stringify(body)).toEqual({ status: 400, code: 'ValidationError' });
      }
      for (const document of [null, 7, ['x'], '', 'null']) {
        const res = await t.http.put(`${rolesUrl()}/${r.roleName}/trust-policy`).set(root()).send({ document });
        expect(res.status, JSON.stringify(document)).toBe(400);
      }
    });
  });

  describe('role policies', () => {
    const policiesUrl = `/v1/accounts/{acct}/policies`;
    async function customerPolicy(name = uniq('p-')) {
      const res = await t.http
        .post(policiesUrl.replace('{acct}', a.accountId))
        .set(root())
        .send({ policyName: name, document: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iam:GetUser', Resource: '*' }] } });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      return res.body as { arn: string; policyName: string };
    }

    it('attaches, lists, detaches managed policies and puts, gets, lists, deletes inline ones; DeleteRole waits for none to remain', async () => {
      const r = await createRole(t, a);
      const url = `${rolesUrl()}/${r.roleName}`;
      const inlineDoc = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iam:ListUsers', Resource: '*' }] };

      expect((await t.http.post(`${url}/attached-policies`).set(root()).send({ policyArn: READ_ONLY })).status).toBe(204);
      expect((await t.http.post(`${url}/attached-policies`).set(root()).send({ policyArn: READ_ONLY })).status).toBe(204); // idempotent
      const attached = await t.http.get(`${url}/attached-policies`).set(root());
      expect(attached.body).toEqual({ attachedPolicies: [{ policyArn: READ_ONLY, policyName: 'ReadOnlyAccess' }] });
      expect((await t.http.put(`${url}/inline-policies/list-users`).set(root()).send({ document: inlineDoc })).status).toBe(204);
      expect((await t.http.get(`${url}/inline-policies`).set(root())).body).toEqual({ policyNames: ['list-users'] });
      expect((await t.http.get(`${url}/inline-policies/list-users`).set(root())).body).toEqual({ policyName: 'list-users', document: inlineDoc });

      // The role's policies, as a session of the role gets them.
      const forRole = await t.app.get(PoliciesRepository).forRole(a.accountId, r.roleId);
      expect(forRole.arns).toEqual([READ_ONLY]);
      expect(forRole.inline.map((d) => JSON.parse(d))).toEqual([inlineDoc]);

      const conflict = await t.http.delete(url).set(root());
      expect(errorOf(conflict)).toEqual({ status: 409, code: 'DeleteConflict' });
      expect(conflict.body.error.message).toBe('Cannot delete entity, must detach all policies first.');
      expect((await t.http.delete(`${url}/attached-policies`).query({ policyArn: READ_ONLY }).set(root())).status).toBe(204);
      expect(errorOf(await t.http.delete(`${url}/attached-policies`).query({ policyArn: READ_ONLY }).set(root()))).toEqual({ status: 404, code: 'NoSuchEntity' });
      // An inline policy alone still blocks the delete.
      expect(errorOf(await t.http.delete(url).set(root()))).toEqual({ status: 409, code: 'DeleteConflict' });
      expect((await t.http.delete(`${url}/inline-policies/list-users`).set(root())).status).toBe(204);
      expect(errorOf(await t.http.get(`${url}/inline-policies/list-users`).set(root()))).toEqual({ status: 404, code: 'NoSuchEntity' });
      expect((await t.http.delete(url).set(root())).status).toBe(204);

      const actions = (await t.prisma.auditEvent.findMany({ where: { chain: a.accountId, resourceArn: r.arn }, orderBy: { seq: 'asc' } })).map((e) => e.action);
      expect(actions).toEqual([
        'iam:CreateRole',
        'iam:AttachRolePolicy',
        'iam:AttachRolePolicy',
        'iam:PutRolePolicy',
        'iam:DetachRolePolicy',
        'iam:DeleteRolePolicy',
        'iam:DeleteRole',
      ]);
    });

    it('refuses policies for a role that does not exist and unknown policy ARNs', async () => {
      const url = `${rolesUrl()}/${uniq('nope-')}`;
      expect(errorOf(await t.http.post(`${url}/attached-policies`).set(root()).send({ policyArn: READ_ONLY }))).toEqual({ status: 404, code: 'NoSuchEntity' });
      expect(errorOf(await t.http.get(`${url}/attached-policies`).set(root()))).toEqual({ status: 404, code: 'NoSuchEntity' });
      expect(errorOf(await t.http.put(`${url}/inline-policies/p`).set(root()).send({ document: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] } }))).toEqual({
        status: 404,
        code: 'NoSuchEntity',
      });
      const r = await createRole(t, a);
      const missing = `arn:aws:iam::${a.accountId}:policy/${uniq('missing-')}`;
      expect(errorOf(await t.http.post(`${rolesUrl()}/${r.roleName}/attached-policies`).set(root()).send({ policyArn: missing }))).toEqual({ status: 404, code: 'NoSuchEntity' });
      // Identity policies are checked as such: a trust-policy shape is not an inline policy.
      const withPrincipal = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: '*', Resource: '*' }] };
      expect((await t.http.put(`${rolesUrl()}/${r.roleName}/inline-policies/p`).set(root()).send({ document: withPrincipal })).status).toBe(400);
    });

    it('allows at most 10 managed policies per role', async () => {
      const r = await createRole(t, a);
      const url = `${rolesUrl()}/${r.roleName}/attached-policies`;
      const arns = [ADMIN, READ_ONLY, ...(await Promise.all(Array.from({ length: 8 }, () => customerPolicy()))).map((p) => p.arn)];
      for (const policyArn of arns) expect((await t.http.post(url).set(root()).send({ policyArn })).status).toBe(204);
      const eleventh = await customerPolicy();
      const over = await t.http.post(url).set(root()).send({ policyArn: eleventh.arn });
      expect(errorOf(over)).toEqual({ status: 409, code: 'LimitExceeded' });
      expect(over.body.error.message).toContain('PoliciesPerRole: 10');
      // Re-attaching one already there is not a new attachment.
      expect((await t.http.post(url).set(root()).send({ policyArn: ADMIN })).status).toBe(204);
      expect((await t.http.get(url).set(root())).body.attachedPolicies).toHaveLength(10);
    });

    it('a customer managed policy attached to a role cannot be deleted', async () => {
      const r = await createRole(t, a);
      const p = await customerPolicy();
      expect((await t.http.post(`${rolesUrl()}/${r.roleName}/attached-policies`).set(root()).send({ policyArn: p.arn })).status).toBe(204);
      const policyUrl = `${policiesUrl.replace('{acct}', a.accountId)}/${p.policyName}`;
      expect((await t.http.get(policyUrl).set(root())).body.attachmentCount).toBe(1);
      expect(errorOf(await t.http.delete(policyUrl).set(root()))).toEqual({ status: 409, code: 'DeleteConflict' });
      expect((await t.http.delete(`${rolesUrl()}/${r.roleName}/attached-policies`).query({ policyArn: p.arn }).set(root())).status).toBe(204);
      expect((await t.http.delete(policyUrl).set(root())).status).toBe(204);
    });
  });

  describe('who may', () => {
    it('an IAM user without permission is denied everything; read-only may read; an administrator may do all', async () => {
      const r = await createRole(t, a);
      const url = `${rolesUrl()}/${r.roleName}`;
      const nobody = await userWithPolicies(t, a, []);
      const reader = await userWithPolicies(t, a, [READ_ONLY]);
      const admin = await userWithPolicies(t, a, [ADMIN]);
      const writes = [
        ['post', rolesUrl(), { roleName: uniq('x-'), assumeRolePolicyDocument: trustAccount(a.accountId) }],
        ['patch', url, { description: 'changed' }],
        ['put', `${url}/trust-policy`, { document: trustAccount(a.accountId) }],
        ['delete', url, undefined],
        ['post', `${url}/attached-policies`, { policyArn: ADMIN }],
        ['put', `${url}/inline-policies/p`, { document: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] } }],
      ] as const;
      const reads = [
        ['get', rolesUrl(), undefined],
        ['get', url, undefined],
        ['get', `${url}/attached-policies`, undefined],
        ['get', `${url}/inline-policies`, undefined],
      ] as const;
      for (const [m, p, body] of [...writes, ...reads]) {
        const res = await t.http[m](p).set(bearer(nobody.token)).send(body as object | undefined);
        expect(errorOf(res), `${m} ${p}`).toEqual({ status: 403, code: 'AccessDenied' });
      }
      for (const [m, p] of reads) expect((await t.http[m](p).set(bearer(reader.token))).status, `${m} ${p}`).toBe(200);
      for (const [m, p, body] of writes) {
        expect(errorOf(await t.http[m](p).set(bearer(reader.token)).send(body as object | undefined)), `${m} ${p}`).toEqual({ status: 403, code: 'AccessDenied' });
      }
      expect((await t.http.get(url).set(root())).body.description).toBeNull();

      const h = bearer(admin.token);
      const created = await t.http.post(rolesUrl()).set(h).send({ roleName: uniq('by-admin-'), assumeRolePolicyDocument: trustAccount(a.accountId) });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      expect((await t.http.patch(url).set(h).send({ description: 'changed' })).body.description).toBe('changed');
      expect((await t.http.put(`${url}/trust-policy`).set(h).send({ document: trustAccount(a.accountId, 'sts:*') })).status).toBe(200);
      expect((await t.http.post(`${url}/attached-policies`).set(h).send({ policyArn: READ_ONLY })).status).toBe(204);
      expect((await t.http.delete(`${url}/attached-policies`).query({ policyArn: READ_ONLY }).set(h)).status).toBe(204);
      expect((await t.http.delete(url).set(h)).status).toBe(204);
      const actor = (await t.prisma.auditEvent.findFirst({ where: { chain: a.accountId, resourceArn: r.arn, action: 'iam:DeleteRole', outcome: 'success' } }))!.actorArn;
      expect(actor).toBe(`arn:aws:iam::${a.accountId}:user/${admin.userName}`);
    });

    it('role permissions name the role by its ARN, path included', async () => {
      const team = await createRole(t, a, { path: '/team/' });
      const other = await createRole(t, a);
      const name = uniq('scoped-');
      await userWithPolicies(t, a, [], name);
      const policy = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['iam:GetRole', 'iam:UpdateRole'], Resource: `arn:aws:iam::${a.accountId}:role/team/*` }] };
      expect((await t.http.put(`/v1/accounts/${a.accountId}/users/${name}/inline-policies/roles`).set(root()).send({ document: policy })).status).toBe(204);
      const token = await signIn(t, { account: a.accountId, userName: name, password: USER_PASSWORD });
      expect((await t.http.get(`${rolesUrl()}/${team.roleName}`).set(bearer(token))).status).toBe(200);
      expect((await t.http.patch(`${rolesUrl()}/${team.roleName}`).set(bearer(token)).send({ description: 'ok' })).status).toBe(200);
      expect(errorOf(await t.http.get(`${rolesUrl()}/${other.roleName}`).set(bearer(token)))).toEqual({ status: 403, code: 'AccessDenied' });
      expect(errorOf(await t.http.delete(`${rolesUrl()}/${team.roleName}`).set(bearer(token)))).toEqual({ status: 403, code: 'AccessDenied' });
    });

    it('another account can neither read, change nor delete the role', async () => {
      const r = await createRole(t, a);
      await t.http.post(`${rolesUrl()}/${r.roleName}/attached-policies`).set(root()).send({ policyArn: READ_ONLY });
      const b = await accountWithRoot(t);
      const bAdmin = await userWithPolicies(t, b, [ADMIN]);
      const doc = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };
      for (const token of [b.rootToken, bAdmin.token]) {
        // a's role through a's path: the account does not exist for b.
        // b's own path with a's role name: no such role in b.
        for (const acct of [a.accountId, b.accountId]) {
          const url = `${rolesUrl(acct)}/${r.roleName}`;
          for (const [m, p, body] of [
            ['get', url, undefined],
            ['patch', url, { description: 'pwned' }],
            ['put', `${url}/trust-policy`, { document: trustAccount(b.accountId) }],
            ['delete', url, undefined],
            ['get', `${url}/attached-policies`, undefined],
            ['post', `${url}/attached-policies`, { policyArn: ADMIN }],
            ['delete', `${url}/attached-policies?policyArn=${encodeURIComponent(READ_ONLY)}`, undefined],
            ['get', `${url}/inline-policies`, undefined],
            ['put', `${url}/inline-policies/p`, { document: doc }],
          ] as const) {
            const res = await t.http[m](p).set(bearer(token)).send(body as object | undefined);
            expect(errorOf(res), `${acct === a.accountId ? 'foreign path' : 'own path'}: ${m} ${p}`).toEqual({ status: 404, code: 'NoSuchEntity' });
          }
        }
        const list = await t.http.get(rolesUrl(a.accountId)).set(bearer(token));
        expect(errorOf(list)).toEqual({ status: 404, code: 'NoSuchEntity' });
        const create = await t.http.post(rolesUrl(a.accountId)).set(bearer(token)).send({ roleName: uniq('x-'), assumeRolePolicyDocument: trustAccount(b.accountId) });
        expect(errorOf(create)).toEqual({ status: 404, code: 'NoSuchEntity' });
        expect((await t.http.get(rolesUrl(b.accountId)).set(bearer(token))).body.roles.map((x: { roleName: string }) => x.roleName)).not.toContain(r.roleName);
      }
      // Nothing changed.
      const after = await t.http.get(`${rolesUrl()}/${r.roleName}`).set(root());
      expect(after.body).toEqual(r);
      expect((await t.http.get(`${rolesUrl()}/${r.roleName}/attached-policies`).set(root())).body.attachedPolicies).toEqual([{ policyArn: READ_ONLY, policyName: 'ReadOnlyAccess' }]);
      expect((await t.http.get(`${rolesUrl()}/${r.roleName}/inline-policies`).set(root())).body.policyNames).toEqual([]);
    });
  });
});
