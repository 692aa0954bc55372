import {
  AddUserToGroupCommand,
  AttachGroupPolicyCommand,
  AttachRolePolicyCommand,
  AttachUserPolicyCommand,
  CreateGroupCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  DeleteConflictException,
  DeleteGroupCommand,
  DeleteGroupPolicyCommand,
  DeletePolicyCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  DeleteUserPolicyCommand,
  DetachGroupPolicyCommand,
  DetachRolePolicyCommand,
  DetachUserPolicyCommand,
  EntityAlreadyExistsException,
  GetGroupCommand,
  GetGroupPolicyCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  GetUserPolicyCommand,
  IAMClient,
  IAMServiceException,
  LimitExceededException,
  ListAttachedGroupPoliciesCommand,
  ListAttachedRolePoliciesCommand,
  ListAttachedUserPoliciesCommand,
  ListGroupPoliciesCommand,
  ListGroupsCommand,
  ListGroupsForUserCommand,
  ListPoliciesCommand,
  ListRolePoliciesCommand,
  ListRolesCommand,
  ListUserPoliciesCommand,
  MalformedPolicyDocumentException,
  NoSuchEntityException,
  PutGroupPolicyCommand,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
  RemoveUserFromGroupCommand,
  UpdateAssumeRolePolicyCommand,
  UpdateRoleCommand,
  paginateListRoles,
} from '@aws-sdk/client-iam';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountWithRoot, bearer, READ_ONLY, type TestAccount } from '../support/factories.js';
import { allow, policyDoc, trustPolicy, userWithKey } from '../support/sts.js';
import type { Keys } from '../support/sigv4-client.js';
import { listen, DB_KIND, startTestApp, uniq, type TestApp } from '../support/test-app.js';

type ErrorClass = new (...args: never[]) => IAMServiceException;

/** The SDK's exception for an AWS error code: the class when the model has one, else a service exception named by the code. */
async function expectError(p: Promise<unknown>, expected: ErrorClass | string, status?: number): Promise<IAMServiceException> {
  const e = await p.then(
    () => {
      throw new Error(`expected ${typeof expected === 'string' ? expected : expected.name}, got success`);
    },
    (err: unknown) => err,
  );
  expect(e, String(e)).toBeInstanceOf(IAMServiceException);
  if (typeof expected === 'string') expect((e as IAMServiceException).name).toBe(expected);
  else expect(e, `${(e as Error).name}: ${(e as Error).message}`).toBeInstanceOf(expected);
  if (status !== undefined) expect((e as IAMServiceException).$metadata.httpStatusCode).toBe(status);
  return e as IAMServiceException;
}

const DOC = policyDoc([allow('iam:ListUsers')]);
const decode = (s: string | undefined) => JSON.parse(decodeURIComponent(s ?? ''));

/** Groups, managed and inline policies, and roles through @aws-sdk/client-iam over the AWS Query transport. */
describe(`AWS Query IAM: groups, policies, roles (${DB_KIND})`, () => {
  let t: TestApp;
  let base: string;
  let a: TestAccount;
  let b: TestAccount;
  let iamA: IAMClient;
  let iamB: IAMClient;
  let keysA: Keys;

  const client = (keys: Keys) => new IAMClient({ endpoint: base, region: 'us-east-1', credentials: keys, maxAttempts: 1 });
  const restUser = async (acct: TestAccount, name = uniq('u-')) => {
    const r = await t.http.post(`/v1/accounts/${acct.accountId}/users`).set(bearer(acct.rootToken)).send({ userName: name });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return name;
  };

  beforeAll(async () => {
    t = await startTestApp();
    base = await listen(t);
    a = await accountWithRoot(t);
    b = await accountWithRoot(t);
    keysA = (await userWithKey(t, a, policyDoc([allow('*')]))).keys;
    iamA = client(keysA);
    iamB = client((await userWithKey(t, b, policyDoc([allow('*')]))).keys);
  });
  afterAll(async () => {
    iamA?.destroy();
    iamB?.destroy();
    await t?.close();
  });

  describe('groups', () => {
    it('CreateGroup, GetGroup with users, ListGroupsForUser, RemoveUserFromGroup, DeleteGroup and their errors', async () => {
      const g = uniq('grp-');
      const created = await iamA.send(new CreateGroupCommand({ GroupName: g, Path: '/eng/' }));
      expect(created.Group).toMatchObject({ GroupName: g, Path: '/eng/', Arn: `arn:aws:iam::${a.accountId}:group/eng/${g}` });
      expect(created.Group!.GroupId).toMatch(/^AGPA[A-Z0-9]{16,}$/);
      expect(created.Group!.CreateDate).toBeInstanceOf(Date);
      await expectError(iamA.send(new CreateGroupCommand({ GroupName: g.toUpperCase() })), EntityAlreadyExistsException, 409);
      await expectError(iamA.send(new CreateGroupCommand({ GroupName: 'bad name!' })), 'ValidationError', 400);

      const u1 = await restUser(a);
      const u2 = await restUser(a);
      await iamA.send(new AddUserToGroupCommand({ GroupName: g, UserName: u1 }));
      await iamA.send(new AddUserToGroupCommand({ GroupName: g, UserName: u2 }));
      await expectError(iamA.send(new AddUserToGroupCommand({ GroupName: g, UserName: 'nobody-here' })), NoSuchEntityException, 404);
      await expectError(iamA.send(new AddUserToGroupCommand({ GroupName: 'no-such-group', UserName: u1 })), NoSuchEntityException, 404);

      const got = await iamA.send(new GetGroupCommand({ GroupName: g }));
      expect(got.Group!.GroupName).toBe(g);
      expect(got.Users!.map((u) => u.UserName).sort()).toEqual([u1, u2].sort());
      expect(got.Users![0]!.Arn).toMatch(new RegExp(`^arn:aws:iam::${a.accountId}:user/`));
      expect(got.IsTruncated).toBe(false);
      // Members page like every IAM list.
      const p1 = await iamA.send(new GetGroupCommand({ GroupName: g, MaxItems: 1 }));
      expect(p1.Users).toHaveLength(1);
      expect(p1.IsTruncated).toBe(true);
      const p2 = await iamA.send(new GetGroupCommand({ GroupName: g, MaxItems: 1, Marker: p1.Marker }));
      expect(p2.Users).toHaveLength(1);
      expect(p2.IsTruncated).toBe(false);
      expect([p1.Users![0]!.UserName, p2.Users![0]!.UserName].sort()).toEqual([u1, u2].sort());

      const forUser = await iamA.send(new ListGroupsForUserCommand({ UserName: u1 }));
      expect(forUser.Groups!.map((x) => x.GroupName)).toEqual([g]);
      await expectError(iamA.send(new ListGroupsForUserCommand({ UserName: 'nobody-here' })), NoSuchEntityException);

      await expectError(iamA.send(new DeleteGroupCommand({ GroupName: g })), DeleteConflictException, 409);
      await iamA.send(new RemoveUserFromGroupCommand({ GroupName: g, UserName: u1 }));
      await iamA.send(new RemoveUserFromGroupCommand({ GroupName: g, UserName: u2 }));
      await expectError(iamA.send(new RemoveUserFromGroupCommand({ GroupName: g, UserName: u2 })), NoSuchEntityException);
      await iamA.send(new DeleteGroupCommand({ GroupName: g }));
      await expectError(iamA.send(new GetGroupCommand({ GroupName: g })), NoSuchEntityException, 404);
      await expectError(iamA.send(new DeleteGroupCommand({ GroupName: g })), NoSuchEntityException);
    });

    it('ListGroups pages with MaxItems/Marker and filters by PathPrefix', async () => {
      const path = `/${uniq('p')}/`;
      const names = [uniq('lg-a-'), uniq('lg-b-'), uniq('lg-c-')];
      for (const n of names) await iamA.send(new CreateGroupCommand({ GroupName: n, Path: path }));
      const seen: string[] = [];
      let marker: string | undefined;
      let pages = 0;
      do {
        const r = await iamA.send(new ListGroupsCommand({ PathPrefix: path, MaxItems: 2, Marker: marker }));
        seen.push(...r.Groups!.map((g) => g.GroupName!));
        expect(r.IsTruncated).toBe(!!r.Marker);
        marker = r.Marker;
        pages++;
      } while (marker);
      expect(pages).toBe(2);
      expect(seen).toEqual([...names].sort());
      await expectError(iamA.send(new ListGroupsCommand({ MaxItems: 0 })), 'ValidationError', 400);
      await expectError(iamA.send(new ListGroupsCommand({ MaxItems: 1001 })), 'ValidationError', 400);
    });
  });

  describe('managed policies', () => {
    it('CreatePolicy, GetPolicy, GetPolicyVersion (URL-encoded document), DeletePolicy and their errors', async () => {
      const name = uniq('pol-');
      const text = JSON.stringify(DOC);
      const created = await iamA.send(new CreatePolicyCommand({ PolicyName: name, Path: '/team/', PolicyDocument: text, Description: 'list users' }));
      const arn = `arn:aws:iam::${a.accountId}:policy/team/${name}`;
      expect(created.Policy).toMatchObject({ PolicyName: name, Arn: arn, Path: '/team/', DefaultVersionId: 'v1', AttachmentCount: 0, IsAttachable: true });
      expect(created.Policy!.PolicyId).toMatch(/^ANPA/);
      await expectError(iamA.send(new CreatePolicyCommand({ PolicyName: name, PolicyDocument: text })), EntityAlreadyExistsException, 409);
      await expectError(iamA.send(new CreatePolicyCommand({ PolicyName: uniq('bad-'), PolicyDocument: '{"Version":' })), MalformedPolicyDocumentException, 400);
      await expectError(iamA.send(new CreatePolicyCommand({ PolicyName: uniq('bad-'), PolicyDocument: '{"Version":"2012-10-17","Statement":[{"Effect":"Maybe","Action":"*","Resource":"*"}]}' })), MalformedPolicyDocumentException, 400);
      await expectError(iamA.send(new CreatePolicyCommand({ PolicyName: 'bad name', PolicyDocument: text })), 'ValidationError', 400);

      const got = await iamA.send(new GetPolicyCommand({ PolicyArn: arn }));
      expect(got.Policy).toMatchObject({ PolicyName: name, Arn: arn, Description: 'list users', AttachmentCount: 0, DefaultVersionId: 'v1' });
      const v = await iamA.send(new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: 'v1' }));
      expect(v.PolicyVersion).toMatchObject({ VersionId: 'v1', IsDefaultVersion: true });
      // AWS sends the document URL-encoded (RFC 3986); the SDK does not decode it.
      expect(v.PolicyVersion!.Document).toMatch(/^%7B%22Version%22%3A%222012-10-17%22/);
      expect(decode(v.PolicyVersion!.Document)).toEqual(DOC);
      await expectError(iamA.send(new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: 'v2' })), NoSuchEntityException, 404);
      await expectError(iamA.send(new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: 'one' })), 'ValidationError', 400);
      // The path is part of the ARN.
      await expectError(iamA.send(new GetPolicyCommand({ PolicyArn: `arn:aws:iam::${a.accountId}:policy/${name}` })), NoSuchEntityException, 404);
      await expectError(iamA.send(new GetPolicyCommand({ PolicyArn: 'not-an-arn-but-long-enough' })), 'ValidationError', 400);

      // AWS managed policies are there too.
      const ro = await iamA.send(new GetPolicyCommand({ PolicyArn: READ_ONLY }));
      expect(ro.Policy).toMatchObject({ PolicyName: 'ReadOnlyAccess', Arn: READ_ONLY, DefaultVersionId: 'v1' });
      const roDoc = await iamA.send(new GetPolicyVersionCommand({ PolicyArn: READ_ONLY, VersionId: 'v1' }));
      expect(decode(roDoc.PolicyVersion!.Document).Statement).toBeTruthy();

      // Attached → DeleteConflict; detached → deleted.
      const u = await restUser(a);
      await iamA.send(new AttachUserPolicyCommand({ UserName: u, PolicyArn: arn }));
      expect((await iamA.send(new GetPolicyCommand({ PolicyArn: arn }))).Policy!.AttachmentCount).toBe(1);
      await expectError(iamA.send(new DeletePolicyCommand({ PolicyArn: arn })), DeleteConflictException, 409);
      await iamA.send(new DetachUserPolicyCommand({ UserName: u, PolicyArn: arn }));
      await iamA.send(new DeletePolicyCommand({ PolicyArn: arn }));
      await expectError(iamA.send(new GetPolicyCommand({ PolicyArn: arn })), NoSuchEntityException, 404);
      await expectError(iamA.send(new DeletePolicyCommand({ PolicyArn: arn })), NoSuchEntityException, 404);
    });

    it('ListPolicies: Scope Local/AWS/All, OnlyAttached, PathPrefix, pagination', async () => {
      const path = `/${uniq('lp')}/`;
      const names = [uniq('lp-a-'), uniq('lp-b-'), uniq('lp-c-')];
      for (const n of names) await iamA.send(new CreatePolicyCommand({ PolicyName: n, Path: path, PolicyDocument: JSON.stringify(DOC) }));
      const local = await iamA.send(new ListPoliciesCommand({ Scope: 'Local', PathPrefix: path }));
      expect(local.Policies!.map((p) => p.PolicyName).sort()).toEqual([...names].sort());
      const aws = await iamA.send(new ListPoliciesCommand({ Scope: 'AWS', MaxItems: 1000 }));
      expect(aws.Policies!.map((p) => p.Arn)).toContain(READ_ONLY);
      expect(aws.Policies!.every((p) => p.Arn!.startsWith('arn:aws:iam::aws:policy/'))).toBe(true);
      const all = await iamA.send(new ListPoliciesCommand({ MaxItems: 1000 }));
      expect(all.Policies!.length).toBe(aws.Policies!.length + (await iamA.send(new ListPoliciesCommand({ Scope: 'Local', MaxItems: 1000 }))).Policies!.length);

      const seen: string[] = [];
      let marker: string | undefined;
      do {
        const r = await iamA.send(new ListPoliciesCommand({ Scope: 'Local', PathPrefix: path, MaxItems: 2, Marker: marker }));
        seen.push(...r.Policies!.map((p) => p.PolicyName!));
        marker = r.IsTruncated ? r.Marker : undefined;
      } while (marker);
      expect(seen.sort()).toEqual([...names].sort());

      const u = await restUser(a);
      await iamA.send(new AttachUserPolicyCommand({ UserName: u, PolicyArn: `arn:aws:iam::${a.accountId}:policy${path}${names[1]}` }));
      const attached = await iamA.send(new ListPoliciesCommand({ Scope: 'Local', PathPrefix: path, OnlyAttached: true }));
      expect(attached.Policies!.map((p) => p.PolicyName)).toEqual([names[1]]);
      expect(attached.Policies![0]!.AttachmentCount).toBe(1);
      // Every listed policy carries its attachment count, as in IAM (not only with OnlyAttached).
      const counts = await iamA.send(new ListPoliciesCommand({ Scope: 'Local', PathPrefix: path }));
      expect(Object.fromEntries(counts.Policies!.map((p) => [p.PolicyName, p.AttachmentCount]))).toEqual({ [names[0]!]: 0, [names[1]!]: 1, [names[2]!]: 0 });
      await expectError(iamA.send(new ListPoliciesCommand({ Scope: 'Everything' as 'All' })), 'ValidationError', 400);
    });
  });

  describe('attached and inline policies of users, groups and roles', () => {
    it('users: Attach/Detach/ListAttached, Put/Get/List/Delete inline, quota and malformed documents', async () => {
      const u = await restUser(a);
      await iamA.send(new AttachUserPolicyCommand({ UserName: u, PolicyArn: READ_ONLY }));
      await iamA.send(new AttachUserPolicyCommand({ UserName: u, PolicyArn: READ_ONLY })); // idempotent
      const listed = await iamA.send(new ListAttachedUserPoliciesCommand({ UserName: u }));
      expect(listed.AttachedPolicies).toEqual([{ PolicyName: 'ReadOnlyAccess', PolicyArn: READ_ONLY }]);
      expect(listed.IsTruncated).toBe(false);
      await expectError(iamA.send(new AttachUserPolicyCommand({ UserName: u, PolicyArn: `arn:aws:iam::${a.accountId}:policy/none-such` })), NoSuchEntityException, 404);
      await expectError(iamA.send(new AttachUserPolicyCommand({ UserName: 'nobody-here', PolicyArn: READ_ONLY })), NoSuchEntityException, 404);
      // Ten managed policies per user, as in IAM.
      const arns: string[] = [];
      for (let i = 0; i < 9; i++) {
        const p = await iamA.send(new CreatePolicyCommand({ PolicyName: uniq('q-'), PolicyDocument: JSON.stringify(DOC) }));
        arns.push(p.Policy!.Arn!);
        await iamA.send(new AttachUserPolicyCommand({ UserName: u, PolicyArn: p.Policy!.Arn! }));
      }
      const extra = await iamA.send(new CreatePolicyCommand({ PolicyName: uniq('q-'), PolicyDocument: JSON.stringify(DOC) }));
      await expectError(iamA.send(new AttachUserPolicyCommand({ UserName: u, PolicyArn: extra.Policy!.Arn! })), LimitExceededException, 409);
      const page1 = await iamA.send(new ListAttachedUserPoliciesCommand({ UserName: u, MaxItems: 6 }));
      expect(page1.AttachedPolicies).toHaveLength(6);
      expect(page1.IsTruncated).toBe(true);
      const page2 = await iamA.send(new ListAttachedUserPoliciesCommand({ UserName: u, MaxItems: 6, Marker: page1.Marker }));
      expect(page2.AttachedPolicies).toHaveLength(4);
      expect(page2.IsTruncated).toBe(false);
      expect(new Set([...page1.AttachedPolicies!, ...page2.AttachedPolicies!].map((p) => p.PolicyArn))).toEqual(new Set([READ_ONLY, ...arns]));
      for (const arn of [READ_ONLY, ...arns]) await iamA.send(new DetachUserPolicyCommand({ UserName: u, PolicyArn: arn }));
      await expectError(iamA.send(new DetachUserPolicyCommand({ UserName: u, PolicyArn: READ_ONLY })), NoSuchEntityException, 404);
      expect((await iamA.send(new ListAttachedUserPoliciesCommand({ UserName: u }))).AttachedPolicies).toEqual([]);

      await iamA.send(new PutUserPolicyCommand({ UserName: u, PolicyName: 'inline-b', PolicyDocument: JSON.stringify(DOC) }));
      await iamA.send(new PutUserPolicyCommand({ UserName: u, PolicyName: 'inline-a', PolicyDocument: JSON.stringify(DOC) }));
      const got = await iamA.send(new GetUserPolicyCommand({ UserName: u, PolicyName: 'inline-a' }));
      expect(got).toMatchObject({ UserName: u, PolicyName: 'inline-a' });
      expect(got.PolicyDocument).toMatch(/^%7B/);
      expect(decode(got.PolicyDocument)).toEqual(DOC);
      expect((await iamA.send(new ListUserPoliciesCommand({ UserName: u }))).PolicyNames).toEqual(['inline-a', 'inline-b']);
      const lp = await iamA.send(new ListUserPoliciesCommand({ UserName: u, MaxItems: 1 }));
      expect(lp).toMatchObject({ PolicyNames: ['inline-a'], IsTruncated: true });
      expect((await iamA.send(new ListUserPoliciesCommand({ UserName: u, MaxItems: 1, Marker: lp.Marker }))).PolicyNames).toEqual(['inline-b']);
      await expectError(iamA.send(new PutUserPolicyCommand({ UserName: u, PolicyName: 'bad', PolicyDocument: 'not json' })), MalformedPolicyDocumentException, 400);
      const big = policyDoc([allow(Array.from({ length: 120 }, (_, i) => `iam:GetUser${i}x`))]);
      await expectError(iamA.send(new PutUserPolicyCommand({ UserName: u, PolicyName: 'big', PolicyDocument: JSON.stringify(big) })), LimitExceededException, 409);
      await expectError(iamA.send(new GetUserPolicyCommand({ UserName: u, PolicyName: 'none-such' })), NoSuchEntityException, 404);
      await iamA.send(new DeleteUserPolicyCommand({ UserName: u, PolicyName: 'inline-a' }));
      await expectError(iamA.send(new DeleteUserPolicyCommand({ UserName: u, PolicyName: 'inline-a' })), NoSuchEntityException, 404);
      expect((await iamA.send(new ListUserPoliciesCommand({ UserName: u }))).PolicyNames).toEqual(['inline-b']);
    });

    it('groups: Attach/Detach/ListAttached, Put/Get/List/Delete inline; a group with policies cannot be deleted', async () => {
      const g = uniq('gp-');
      await iamA.send(new CreateGroupCommand({ GroupName: g }));
      await iamA.send(new AttachGroupPolicyCommand({ GroupName: g, PolicyArn: READ_ONLY }));
      expect((await iamA.send(new ListAttachedGroupPoliciesCommand({ GroupName: g }))).AttachedPolicies).toEqual([{ PolicyName: 'ReadOnlyAccess', PolicyArn: READ_ONLY }]);
      await expectError(iamA.send(new DeleteGroupCommand({ GroupName: g })), DeleteConflictException, 409);
      await iamA.send(new DetachGroupPolicyCommand({ GroupName: g, PolicyArn: READ_ONLY }));
      await iamA.send(new PutGroupPolicyCommand({ GroupName: g, PolicyName: 'inline', PolicyDocument: JSON.stringify(DOC) }));
      expect(decode((await iamA.send(new GetGroupPolicyCommand({ GroupName: g, PolicyName: 'inline' }))).PolicyDocument)).toEqual(DOC);
      expect((await iamA.send(new ListGroupPoliciesCommand({ GroupName: g }))).PolicyNames).toEqual(['inline']);
      await expectError(iamA.send(new PutGroupPolicyCommand({ GroupName: g, PolicyName: 'x', PolicyDocument: '{}' })), MalformedPolicyDocumentException, 400);
      await expectError(iamA.send(new DeleteGroupCommand({ GroupName: g })), DeleteConflictException, 409);
      await iamA.send(new DeleteGroupPolicyCommand({ GroupName: g, PolicyName: 'inline' }));
      await expectError(iamA.send(new GetGroupPolicyCommand({ GroupName: g, PolicyName: 'inline' })), NoSuchEntityException, 404);
      await iamA.send(new DeleteGroupCommand({ GroupName: g }));
      await expectError(iamA.send(new ListGroupPoliciesCommand({ GroupName: g })), NoSuchEntityException, 404);
    });

    it('group policies apply to members (the same evaluation as REST)', async () => {
      const member = await userWithKey(t, a);
      const memberIam = client(member.keys);
      try {
        await expectError(memberIam.send(new ListRolesCommand({})), 'AccessDenied', 403);
        const g = uniq('readers-');
        await iamA.send(new CreateGroupCommand({ GroupName: g }));
        await iamA.send(new AttachGroupPolicyCommand({ GroupName: g, PolicyArn: READ_ONLY }));
        await iamA.send(new AddUserToGroupCommand({ GroupName: g, UserName: member.userName }));
        await expect.poll(async () => (await memberIam.send(new ListRolesCommand({})).catch(() => null)) !== null, { timeout: 10_000 }).toBe(true);
        await expectError(memberIam.send(new CreateRoleCommand({ RoleName: uniq('r-'), AssumeRolePolicyDocument: JSON.stringify(trustPolicy(a.accountId)) })), 'AccessDenied', 403);
      } finally {
        memberIam.destroy();
      }
    });
  });

  describe('roles', () => {
    it('CreateRole, GetRole (URL-encoded trust policy), UpdateRole, UpdateAssumeRolePolicy and their errors', async () => {
      const name = uniq('role-');
      const trust = trustPolicy(a.accountId);
      const created = await iamA.send(
        new CreateRoleCommand({
          RoleName: name,
          Path: '/svc/',
          AssumeRolePolicyDocument: JSON.stringify(trust),
          Description: 'deploys things',
          MaxSessionDuration: 7200,
          Tags: [{ Key: 'team', Value: 'platform' }],
        }),
      );
      const arn = `arn:aws:iam::${a.accountId}:role/svc/${name}`;
      expect(created.Role).toMatchObject({ RoleName: name, Path: '/svc/', Arn: arn, Description: 'deploys things', MaxSessionDuration: 7200, Tags: [{ Key: 'team', Value: 'platform' }] });
      expect(created.Role!.RoleId).toMatch(/^AROA/);
      expect(decode(created.Role!.AssumeRolePolicyDocument)).toEqual(trust);

      const got = await iamA.send(new GetRoleCommand({ RoleName: name.toUpperCase() }));
      expect(got.Role).toMatchObject({ RoleName: name, Arn: arn, MaxSessionDuration: 7200 });
      expect(got.Role!.AssumeRolePolicyDocument).toMatch(/^%7B%22Version%22/);
      expect(decode(got.Role!.AssumeRolePolicyDocument)).toEqual(trust);

      await expectError(iamA.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: JSON.stringify(trust) })), EntityAlreadyExistsException, 409);
      await expectError(iamA.send(new CreateRoleCommand({ RoleName: uniq('r-'), AssumeRolePolicyDocument: '{"Version": "2012-10-17"' })), MalformedPolicyDocumentException, 400);
      await expectError(
        iamA.send(new CreateRoleCommand({ RoleName: uniq('r-'), AssumeRolePolicyDocument: JSON.stringify(policyDoc([allow('sts:AssumeRole', '*', { Principal: { AWS: a.accountId } })])) })),
        MalformedPolicyDocumentException,
        400,
      );
      await expectError(iamA.send(new CreateRoleCommand({ RoleName: uniq('r-'), AssumeRolePolicyDocument: JSON.stringify(trust), MaxSessionDuration: 60 })), 'ValidationError', 400);
      await expectError(iamA.send(new CreateRoleCommand({ RoleName: 'x'.repeat(65), AssumeRolePolicyDocument: JSON.stringify(trust) })), 'ValidationError', 400);
      await expectError(iamA.send(new GetRoleCommand({ RoleName: 'no-such-role' })), NoSuchEntityException, 404);

      await iamA.send(new UpdateRoleCommand({ RoleName: name, Description: 'updated', MaxSessionDuration: 3600 }));
      expect((await iamA.send(new GetRoleCommand({ RoleName: name }))).Role).toMatchObject({ Description: 'updated', MaxSessionDuration: 3600 });
      await expectError(iamA.send(new UpdateRoleCommand({ RoleName: name, MaxSessionDuration: 50_000 })), 'ValidationError', 400);
      await expectError(iamA.send(new UpdateRoleCommand({ RoleName: 'no-such-role', Description: 'x' })), NoSuchEntityException, 404);

      const trust2 = trustPolicy(`arn:aws:iam::${a.accountId}:root`, undefined, ['sts:AssumeRole']);
      await iamA.send(new UpdateAssumeRolePolicyCommand({ RoleName: name, PolicyDocument: JSON.stringify(trust2) }));
      expect(decode((await iamA.send(new GetRoleCommand({ RoleName: name }))).Role!.AssumeRolePolicyDocument)).toEqual(trust2);
      await expectError(iamA.send(new UpdateAssumeRolePolicyCommand({ RoleName: name, PolicyDocument: 'nope' })), MalformedPolicyDocumentException, 400);
      await expectError(iamA.send(new UpdateAssumeRolePolicyCommand({ RoleName: 'no-such-role', PolicyDocument: JSON.stringify(trust2) })), NoSuchEntityException, 404);

      // Audited like the REST change, in the caller's account.
      const ev = await t.prisma.auditEvent.findFirst({ where: { chain: a.accountId, action: 'iam:UpdateAssumeRolePolicy', resourceArn: arn } });
      expect(ev).toBeTruthy();
    });

    it('role policies; DeleteRole refuses while policies remain (DeleteConflict), then deletes', async () => {
      const name = uniq('role-');
      await iamA.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: JSON.stringify(trustPolicy(a.accountId)) }));
      await iamA.send(new AttachRolePolicyCommand({ RoleName: name, PolicyArn: READ_ONLY }));
      expect((await iamA.send(new ListAttachedRolePoliciesCommand({ RoleName: name }))).AttachedPolicies).toEqual([{ PolicyName: 'ReadOnlyAccess', PolicyArn: READ_ONLY }]);
      await iamA.send(new PutRolePolicyCommand({ RoleName: name, PolicyName: 'inline', PolicyDocument: JSON.stringify(DOC) }));
      const got = await iamA.send(new GetRolePolicyCommand({ RoleName: name, PolicyName: 'inline' }));
      expect(got).toMatchObject({ RoleName: name, PolicyName: 'inline' });
      expect(decode(got.PolicyDocument)).toEqual(DOC);
      expect((await iamA.send(new ListRolePoliciesCommand({ RoleName: name }))).PolicyNames).toEqual(['inline']);
      await expectError(iamA.send(new PutRolePolicyCommand({ RoleName: name, PolicyName: 'x', PolicyDocument: '[]' })), MalformedPolicyDocumentException, 400);
      await expectError(iamA.send(new PutRolePolicyCommand({ RoleName: 'no-such-role', PolicyName: 'x', PolicyDocument: JSON.stringify(DOC) })), NoSuchEntityException, 404);

      await expectError(iamA.send(new DeleteRoleCommand({ RoleName: name })), DeleteConflictException, 409);
      await iamA.send(new DetachRolePolicyCommand({ RoleName: name, PolicyArn: READ_ONLY }));
      await expectError(iamA.send(new DetachRolePolicyCommand({ RoleName: name, PolicyArn: READ_ONLY })), NoSuchEntityException, 404);
      await expectError(iamA.send(new DeleteRoleCommand({ RoleName: name })), DeleteConflictException, 409);
      await iamA.send(new DeleteRolePolicyCommand({ RoleName: name, PolicyName: 'inline' }));
      await expectError(iamA.send(new GetRolePolicyCommand({ RoleName: name, PolicyName: 'inline' })), NoSuchEntityException, 404);
      await expectError(iamA.send(new DeleteRolePolicyCommand({ RoleName: name, PolicyName: 'inline' })), NoSuchEntityException, 404);
      await iamA.send(new DeleteRoleCommand({ RoleName: name }));
      await expectError(iamA.send(new GetRoleCommand({ RoleName: name })), NoSuchEntityException, 404);
      await expectError(iamA.send(new DeleteRoleCommand({ RoleName: name })), NoSuchEntityException, 404);
    });

    it('ListRoles pages with MaxItems/Marker (and the SDK paginator) and filters by PathPrefix', async () => {
      const path = `/${uniq('lr')}/`;
      const names = [uniq('lr-a-'), uniq('lr-b-'), uniq('lr-c-'), uniq('lr-d-'), uniq('lr-e-')];
      for (const n of names) await iamA.send(new CreateRoleCommand({ RoleName: n, Path: path, AssumeRolePolicyDocument: JSON.stringify(trustPolicy(a.accountId)) }));
      const first = await iamA.send(new ListRolesCommand({ PathPrefix: path, MaxItems: 2 }));
      expect(first.Roles!.map((r) => r.RoleName)).toEqual([...names].sort().slice(0, 2));
      expect(first.IsTruncated).toBe(true);
      expect(first.Marker).toBeTruthy();
      expect(decode(first.Roles![0]!.AssumeRolePolicyDocument)).toEqual(trustPolicy(a.accountId));
      const seen: string[] = [];
      for await (const p of paginateListRoles({ client: iamA, pageSize: 2 }, { PathPrefix: path })) seen.push(...p.Roles!.map((r) => r.RoleName!));
      expect(seen).toEqual([...names].sort());
      await expectError(iamA.send(new ListRolesCommand({ PathPrefix: 'no-slash' })), 'ValidationError', 400);
    });

    it('a principal without permission is refused (AccessDenied) and the refusal is audited', async () => {
      const reader = await userWithKey(t, a);
      const h = bearer(a.rootToken);
      expect((await t.http.post(`/v1/accounts/${a.accountId}/users/${reader.userName}/attached-policies`).set(h).send({ policyArn: READ_ONLY })).status).toBe(204);
      const readerIam = client(reader.keys);
      try {
        const name = uniq('role-');
        await iamA.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: JSON.stringify(trustPolicy(a.accountId)) }));
        expect((await readerIam.send(new GetRoleCommand({ RoleName: name }))).Role!.RoleName).toBe(name);
        await expectError(readerIam.send(new DeleteRoleCommand({ RoleName: name })), 'AccessDenied', 403);
        await expectError(readerIam.send(new PutRolePolicyCommand({ RoleName: name, PolicyName: 'p', PolicyDocument: JSON.stringify(DOC) })), 'AccessDenied', 403);
        await expectError(readerIam.send(new CreatePolicyCommand({ PolicyName: uniq('p-'), PolicyDocument: JSON.stringify(DOC) })), 'AccessDenied', 403);
        await expectError(readerIam.send(new CreateGroupCommand({ GroupName: uniq('g-') })), 'AccessDenied', 403);
        const denied = await t.prisma.auditEvent.findFirst({ where: { chain: a.accountId, action: 'iam:DeleteRole', outcome: 'denied' } });
        expect(denied).toBeTruthy();
        expect((await iamA.send(new GetRoleCommand({ RoleName: name }))).Role!.RoleName).toBe(name);
      } finally {
        readerIam.destroy();
      }
    });
  });

  describe('cross-account: names resolve in the caller account', () => {
    it("account B cannot read, change or delete account A's roles, groups or policies", async () => {
      const role = uniq('xrole-');
      const group = uniq('xgrp-');
      const pol = uniq('xpol-');
      await iamA.send(new CreateRoleCommand({ RoleName: role, AssumeRolePolicyDocument: JSON.stringify(trustPolicy(a.accountId)) }));
      await iamA.send(new PutRolePolicyCommand({ RoleName: role, PolicyName: 'inline', PolicyDocument: JSON.stringify(DOC) }));
      await iamA.send(new CreateGroupCommand({ GroupName: group }));
      await iamA.send(new PutGroupPolicyCommand({ GroupName: group, PolicyName: 'inline', PolicyDocument: JSON.stringify(DOC) }));
      const polArn = (await iamA.send(new CreatePolicyCommand({ PolicyName: pol, PolicyDocument: JSON.stringify(DOC) }))).Policy!.Arn!;
      const userA = await restUser(a);

      // Reads.
      await expectError(iamB.send(new GetRoleCommand({ RoleName: role })), NoSuchEntityException, 404);
      await expectError(iamB.send(new GetRolePolicyCommand({ RoleName: role, PolicyName: 'inline' })), NoSuchEntityException, 404);
      await expectError(iamB.send(new ListRolePoliciesCommand({ RoleName: role })), NoSuchEntityException, 404);
      await expectError(iamB.send(new ListAttachedRolePoliciesCommand({ RoleName: role })), NoSuchEntityException, 404);
      await expectError(iamB.send(new GetGroupCommand({ GroupName: group })), NoSuchEntityException, 404);
      await expectError(iamB.send(new GetGroupPolicyCommand({ GroupName: group, PolicyName: 'inline' })), NoSuchEntityException, 404);
      await expectError(iamB.send(new GetPolicyCommand({ PolicyArn: polArn })), NoSuchEntityException, 404);
      await expectError(iamB.send(new GetPolicyVersionCommand({ PolicyArn: polArn, VersionId: 'v1' })), NoSuchEntityException, 404);
      await expectError(iamB.send(new ListGroupsForUserCommand({ UserName: userA })), NoSuchEntityException, 404);
      await expectError(iamB.send(new GetUserPolicyCommand({ UserName: userA, PolicyName: 'x' })), NoSuchEntityException, 404);
      const rolesB = await iamB.send(new ListRolesCommand({ MaxItems: 1000 }));
      expect(rolesB.Roles!.map((r) => r.RoleName)).not.toContain(role);
      const groupsB = await iamB.send(new ListGroupsCommand({ MaxItems: 1000 }));
      expect(groupsB.Groups!.map((g) => g.GroupName)).not.toContain(group);
      const polsB = await iamB.send(new ListPoliciesCommand({ Scope: 'Local', MaxItems: 1000 }));
      expect(polsB.Policies!.map((p) => p.Arn)).not.toContain(polArn);

      // Changes.
      await expectError(iamB.send(new UpdateRoleCommand({ RoleName: role, Description: 'pwned' })), NoSuchEntityException, 404);
      await expectError(iamB.send(new UpdateAssumeRolePolicyCommand({ RoleName: role, PolicyDocument: JSON.stringify(trustPolicy(b.accountId)) })), NoSuchEntityException, 404);
      await expectError(iamB.send(new PutRolePolicyCommand({ RoleName: role, PolicyName: 'evil', PolicyDocument: JSON.stringify(policyDoc([allow('*')])) })), NoSuchEntityException, 404);
      await expectError(iamB.send(new AttachRolePolicyCommand({ RoleName: role, PolicyArn: READ_ONLY })), NoSuchEntityException, 404);
      await expectError(iamB.send(new AddUserToGroupCommand({ GroupName: group, UserName: userA })), NoSuchEntityException, 404);
      await expectError(iamB.send(new AttachGroupPolicyCommand({ GroupName: group, PolicyArn: READ_ONLY })), NoSuchEntityException, 404);
      await expectError(iamB.send(new PutUserPolicyCommand({ UserName: userA, PolicyName: 'evil', PolicyDocument: JSON.stringify(DOC) })), NoSuchEntityException, 404);
      // B's own principals cannot get A's policy attached either.
      const userB = await restUser(b);
      await expectError(iamB.send(new AttachUserPolicyCommand({ UserName: userB, PolicyArn: polArn })), NoSuchEntityException, 404);

      // Deletes.
      await expectError(iamB.send(new DeleteRolePolicyCommand({ RoleName: role, PolicyName: 'inline' })), NoSuchEntityException, 404);
      await expectError(iamB.send(new DeleteRoleCommand({ RoleName: role })), NoSuchEntityException, 404);
      await expectError(iamB.send(new DeleteGroupPolicyCommand({ GroupName: group, PolicyName: 'inline' })), NoSuchEntityException, 404);
      await expectError(iamB.send(new DeleteGroupCommand({ GroupName: group })), NoSuchEntityException, 404);
      await expectError(iamB.send(new DeletePolicyCommand({ PolicyArn: polArn })), NoSuchEntityException, 404);

      // A's resources are untouched.
      const r = await iamA.send(new GetRoleCommand({ RoleName: role }));
      expect(r.Role!.Description).toBeUndefined();
      expect(decode(r.Role!.AssumeRolePolicyDocument)).toEqual(trustPolicy(a.accountId));
      expect((await iamA.send(new ListRolePoliciesCommand({ RoleName: role }))).PolicyNames).toEqual(['inline']);
      expect((await iamA.send(new ListAttachedRolePoliciesCommand({ RoleName: role }))).AttachedPolicies).toEqual([]);
      expect((await iamA.send(new GetGroupCommand({ GroupName: group }))).Users).toEqual([]);
      expect((await iamA.send(new ListGroupPoliciesCommand({ GroupName: group }))).PolicyNames).toEqual(['inline']);
      expect((await iamA.send(new GetPolicyCommand({ PolicyArn: polArn }))).Policy!.PolicyName).toBe(pol);
      expect((await iamA.send(new ListUserPoliciesCommand({ UserName: userA }))).PolicyNames).toEqual([]);
    });
  });
  describe('bad input', () => {
    const ACTIONS = [
      'CreateGroup', 'GetGroup', 'ListGroups', 'DeleteGroup', 'AddUserToGroup', 'RemoveUserFromGroup', 'ListGroupsForUser',
      'CreatePolicy', 'GetPolicy', 'ListPolicies', 'DeletePolicy', 'GetPolicyVersion',
      'CreateRole', 'GetRole', 'ListRoles', 'UpdateRole', 'UpdateAssumeRolePolicy', 'DeleteRole',
      ...['User', 'Group', 'Role'].flatMap((n) => [`Attach${n}Policy`, `Detach${n}Policy`, `ListAttached${n}Policies`, `Put${n}Policy`, `Get${n}Policy`, `Delete${n}Policy`, `List${n}Policies`]),
    ];
    /** A signed form POST, as the SDKs send it (a GET's query string would meet Node's header size limit first). */
    const call = async (params: Record<string, string>) => {
      const body = new URLSearchParams({ Version: '2010-05-08', ...params }).toString();
      const signer = new SignatureV4({ credentials: keysA, region: 'us-east-1', service: 'iam', sha256: Sha256 });
      const signed = await signer.sign({ method: 'POST', protocol: 'http:', hostname: '127.0.0.1', path: '/', query: {}, headers: { host: '127.0.0.1', 'content-type': 'application/x-www-form-urlencoded' }, body });
      let r = t.http.post('/');
      for (const [k, v] of Object.entries(signed.headers as Record<string, string>)) r = r.set(k, v);
      return r.send(body);
    };
    const codeOf = (xml: string) => /<Code>([^<]*)<\/Code>/.exec(xml)?.[1];

    it('every action answers a missing required parameter with 400 MissingParameter or ValidationError', async () => {
      for (const Action of ACTIONS.filter((x) => !['ListGroups', 'ListPolicies', 'ListRoles'].includes(x))) {
        const r = await call({ Action });
        expect(r.status, `${Action}: ${r.text}`).toBe(400);
        expect(['MissingParameter', 'ValidationError'], `${Action}: ${r.text}`).toContain(codeOf(r.text));
        expect(r.text).toContain('<Type>Sender</Type>');
      }
    });

    it('junk in every parameter is a 4xx in AWS format, never a 5xx', async () => {
      const junk = ['', ' ', 'a b', '../../etc', 'x'.repeat(3000), 'ünïcödé', '{"Version":', '-1', '99999999999999', 'arn:aws:iam::000000000000:policy/x', '%00', '\u2028'];
      const names = ['GroupName', 'UserName', 'RoleName', 'PolicyName', 'PolicyArn', 'PolicyDocument', 'AssumeRolePolicyDocument', 'Path', 'PathPrefix', 'Marker', 'MaxItems', 'VersionId', 'Scope', 'OnlyAttached', 'Description', 'MaxSessionDuration'];
      for (const Action of ACTIONS) {
        for (const v of junk) {
          const params: Record<string, string> = { Action };
          for (const n of names) params[n] = v;
          const r = await call(params);
          expect(r.status, `${Action} ${JSON.stringify(v.slice(0, 20))}: ${r.text}`).toBeGreaterThanOrEqual(400);
          expect(r.status, `${Action} ${JSON.stringify(v.slice(0, 20))}: ${r.text}`).toBeLessThan(500);
          expect(r.text).toMatch(/^(<\?xml[^>]*>\s*)?<ErrorResponse xmlns="https:\/\/iam\.amazonaws\.com\/doc\/2010-05-08\/">/);
        }
      }
    }, 240_000);

    it('junk in one parameter at a time, the others valid: an answer or an AWS error, never a 5xx', async () => {
      const g = uniq('junk-g-');
      const r = uniq('junk-r-');
      const u = await restUser(a);
      await iamA.send(new CreateGroupCommand({ GroupName: g }));
      await iamA.send(new CreateRoleCommand({ RoleName: r, AssumeRolePolicyDocument: JSON.stringify(trustPolicy(a.accountId)) }));
      const valid: Record<string, string> = {
        GroupName: g,
        UserName: u,
        RoleName: r,
        PolicyName: 'junk',
        PolicyArn: READ_ONLY,
        PolicyDocument: JSON.stringify(DOC),
        AssumeRolePolicyDocument: JSON.stringify(trustPolicy(a.accountId)),
        VersionId: 'v1',
        Path: '/',
        PathPrefix: '/',
        MaxItems: '10',
        Scope: 'All',
        Description: 'd',
        MaxSessionDuration: '3600',
      };
      const reads: Record<string, string[]> = {
        CreateGroup: ['GroupName', 'Path'],
        GetGroup: ['GroupName', 'Marker', 'MaxItems'],
        ListGroups: ['PathPrefix', 'Marker', 'MaxItems'],
        AddUserToGroup: ['GroupName', 'UserName'],
        ListGroupsForUser: ['UserName', 'Marker', 'MaxItems'],
        CreatePolicy: ['PolicyName', 'Path', 'PolicyDocument', 'Description', 'Tags.member.1.Key'],
        GetPolicy: ['PolicyArn'],
        ListPolicies: ['Scope', 'OnlyAttached', 'PathPrefix', 'PolicyUsageFilter', 'Marker', 'MaxItems'],
        GetPolicyVersion: ['PolicyArn', 'VersionId'],
        CreateRole: ['RoleName', 'Path', 'AssumeRolePolicyDocument', 'Description', 'MaxSessionDuration', 'Tags.member.1.Key', 'Tags.member.1.Value'],
        GetRole: ['RoleName'],
        ListRoles: ['PathPrefix', 'Marker', 'MaxItems'],
        UpdateRole: ['RoleName', 'Description', 'MaxSessionDuration'],
        UpdateAssumeRolePolicy: ['RoleName', 'PolicyDocument'],
        ...Object.fromEntries(
          ['User', 'Group', 'Role'].flatMap((n) => [
            [`Attach${n}Policy`, [`${n}Name`, 'PolicyArn']],
            [`ListAttached${n}Policies`, [`${n}Name`, 'PathPrefix', 'Marker', 'MaxItems']],
            [`Put${n}Policy`, [`${n}Name`, 'PolicyName', 'PolicyDocument']],
            [`Get${n}Policy`, [`${n}Name`, 'PolicyName']],
            [`List${n}Policies`, [`${n}Name`, 'Marker', 'MaxItems']],
          ]),
        ),
      };
      const junk = ['', 'x'.repeat(3000), 'ünïcödé', '{"Version":', '-1', '\u2028', 'a/b'];
      for (const [Action, members] of Object.entries(reads)) {
        for (const m of members) {
          for (const v of junk) {
            const params: Record<string, string> = { Action };
            for (const n of members) if (valid[n] !== undefined) params[n] = valid[n]!;
            params[m] = v;
            const res = await call(params);
            expect(res.status, `${Action} ${m}=${JSON.stringify(v.slice(0, 20))}: ${res.text}`).toBeLessThan(500);
            if (res.status >= 400) expect(res.text).toContain('<ErrorResponse');
          }
        }
      }
    }, 240_000);
  });
});
