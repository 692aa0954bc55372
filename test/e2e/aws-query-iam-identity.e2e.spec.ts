import { Readable } from 'node:stream';
import {
  ChangePasswordCommand,
  CreateAccessKeyCommand,
  CreateAccountAliasCommand,
  CreateLoginProfileCommand,
  CreateUserCommand,
  CreateVirtualMFADeviceCommand,
  DeactivateMFADeviceCommand,
  DeleteAccessKeyCommand,
  DeleteAccountAliasCommand,
  DeleteAccountPasswordPolicyCommand,
  DeleteConflictException,
  DeleteLoginProfileCommand,
  DeleteUserCommand,
  DeleteVirtualMFADeviceCommand,
  EnableMFADeviceCommand,
  EntityAlreadyExistsException,
  GetAccessKeyLastUsedCommand,
  type GetAccessKeyLastUsedCommandOutput,
  GetAccountPasswordPolicyCommand,
  GetUserCommand,
  IAMClient,
  IAMServiceException,
  InvalidAuthenticationCodeException,
  LimitExceededException,
  ListAccessKeysCommand,
  ListAccountAliasesCommand,
  ListMFADevicesCommand,
  ListUsersCommand,
  NoSuchEntityException,
  PasswordPolicyViolationException,
  UpdateAccessKeyCommand,
  UpdateAccountPasswordPolicyCommand,
  UpdateLoginProfileCommand,
  UpdateUserCommand,
} from '@aws-sdk/client-iam';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountWithRoot, bearer, bigintSafe, codeAt, type TestAccount } from '../support/factories.js';
import { allow, keysOf, policyDoc, role, trustPolicy, userWithKey } from '../support/sts.js';
import type { Keys } from '../support/sigv4-client.js';
import { listen, DB_KIND, startTestApp, uniq, type TestApp } from '../support/test-app.js';

/** What a call threw (the SDK's exception class for modelled codes, IAMServiceException otherwise). */
async function failure(p: Promise<unknown>): Promise<IAMServiceException> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(IAMServiceException);
    return e as IAMServiceException;
  }
  throw new Error('expected the call to fail');
}

/** IAM users over the AWS Query API, driven by the pinned @aws-sdk/client-iam. */
describe(`AWS Query IAM: users, login profiles, access keys, MFA, account (${DB_KIND})`, () => {
  let t: TestApp;
  let endpoint: string;
  let a: TestAccount;
  let b: TestAccount;
  let iamA: IAMClient;
  let iamB: IAMClient;
  let adminA: { userName: string; arn: string; keys: Keys };
  /** Every response body the clients made through `client()` received (for "no secret in a response" checks). */
  const bodies: string[] = [];

  /** An SDK client for the broker; response bodies are recorded (the body stream is read and handed on). */
  function client(keys: Keys): IAMClient {
    const c = new IAMClient({ endpoint, region: 'us-east-1', credentials: keys, maxAttempts: 1 });
    const handler = c.config.requestHandler as unknown as { handle: (...args: unknown[]) => Promise<{ response: { body: AsyncIterable<Buffer> | Readable } }> };
    const handle = handler.handle.bind(handler);
    handler.handle = async (...args: unknown[]) => {
      const out = await handle(...args);
      const chunks: Buffer[] = [];
      for await (const c of out.response.body as AsyncIterable<Buffer>) chunks.push(Buffer.from(c));
      const buf = Buffer.concat(chunks);
      bodies.push(buf.toString('utf8'));
      out.response.body = Readable.from([buf]);
      return out;
    };
    return c;
  }

  const admin = policyDoc([allow('*')]);

  beforeAll(async () => {
    t = await startTestApp();
    endpoint = await listen(t);
    a = await accountWithRoot(t);
    b = await accountWithRoot(t);
    adminA = await userWithKey(t, a, admin);
    iamA = client(adminA.keys);
    iamB = client((await userWithKey(t, b, admin)).keys);
  });
  afterAll(async () => {
    iamA?.destroy();
    iamB?.destroy();
    await t?.close();
  });

  describe('users', () => {
    it('CreateUser, GetUser (named and the caller), UpdateUser, DeleteUser', async () => {
      const name = uniq('q-user-');
      const created = await iamA.send(new CreateUserCommand({ UserName: name, Path: '/eng/', Tags: [{ Key: 'team', Value: 'core' }] }));
      expect(created.User).toMatchObject({ UserName: name, Path: '/eng/', Arn: `arn:aws:iam::${a.accountId}:user/eng/${name}`, Tags: [{ Key: 'team', Value: 'core' }] });
      expect(created.User!.UserId).toMatch(/^AIDA/);
      expect(created.User!.CreateDate).toBeInstanceOf(Date);
      expect(Math.abs(created.User!.CreateDate!.getTime() - Date.now())).toBeLessThan(60_000);

      const got = await iamA.send(new GetUserCommand({ UserName: name }));
      expect(got.User).toMatchObject({ UserName: name, UserId: created.User!.UserId, Arn: created.User!.Arn, Tags: [{ Key: 'team', Value: 'core' }] });

      const me = await iamA.send(new GetUserCommand({}));
      expect(me.User).toMatchObject({ UserName: adminA.userName, Arn: adminA.arn, Path: '/' });

      expect(await failure(iamA.send(new CreateUserCommand({ UserName: name })))).toBeInstanceOf(EntityAlreadyExistsException);

      const renamed = `${name}-r`;
      await iamA.send(new UpdateUserCommand({ UserName: name, NewUserName: renamed, NewPath: '/ops/' }));
      expect((await iamA.send(new GetUserCommand({ UserName: renamed }))).User).toMatchObject({ UserName: renamed, Path: '/ops/', UserId: created.User!.UserId });
      expect(await failure(iamA.send(new GetUserCommand({ UserName: name })))).toBeInstanceOf(NoSuchEntityException);

      await iamA.send(new DeleteUserCommand({ UserName: renamed }));
      expect(await failure(iamA.send(new GetUserCommand({ UserName: renamed })))).toBeInstanceOf(NoSuchEntityException);
      expect(await failure(iamA.send(new DeleteUserCommand({ UserName: renamed })))).toBeInstanceOf(NoSuchEntityException);
      expect(await failure(iamA.send(new UpdateUserCommand({ UserName: renamed, NewPath: '/x/' })))).toBeInstanceOf(NoSuchEntityException);
    });

    it('DeleteUser refuses a user that still has credentials (DeleteConflict)', async () => {
      const name = uniq('q-del-');
      await iamA.send(new CreateUserCommand({ UserName: name }));
      const k = await iamA.send(new CreateAccessKeyCommand({ UserName: name }));
      expect(await failure(iamA.send(new DeleteUserCommand({ UserName: name })))).toBeInstanceOf(DeleteConflictException);
      await iamA.send(new UpdateAccessKeyCommand({ UserName: name, AccessKeyId: k.AccessKey!.AccessKeyId, Status: 'Inactive' }));
      await iamA.send(new DeleteAccessKeyCommand({ UserName: name, AccessKeyId: k.AccessKey!.AccessKeyId }));
      await iamA.send(new DeleteUserCommand({ UserName: name }));
    });

    it('ListUsers: PathPrefix, MaxItems and Marker as AWS pages them', async () => {
      const path = `/${uniq('pg')}/`;
      const names = [uniq('q-l1-'), uniq('q-l2-'), uniq('q-l3-')];
      for (const n of names) await iamA.send(new CreateUserCommand({ UserName: n, Path: path }));

      const p1 = await iamA.send(new ListUsersCommand({ PathPrefix: path, MaxItems: 2 }));
      expect(p1.Users).toHaveLength(2);
      expect(p1.IsTruncated).toBe(true);
      expect(p1.Marker).toBeTruthy();
      const p2 = await iamA.send(new ListUsersCommand({ PathPrefix: path, MaxItems: 2, Marker: p1.Marker }));
      expect(p2.Users).toHaveLength(1);
      expect(p2.IsTruncated).toBe(false);
      expect(p2.Marker).toBeUndefined();
      const listed = [...p1.Users!, ...p2.Users!];
      expect(listed.map((u) => u.UserName).sort()).toEqual([...names].sort());
      expect(listed.every((u) => u.Path === path && u.Arn!.endsWith(`:user${path}${u.UserName}`) && u.CreateDate instanceof Date)).toBe(true);

      const all = await iamA.send(new ListUsersCommand({}));
      expect(all.Users!.map((u) => u.UserName)).toEqual(expect.arrayContaining([adminA.userName, ...names]));

      const bad = await failure(iamA.send(new ListUsersCommand({ MaxItems: 0 })));
      expect(bad.name).toBe('ValidationError');
      expect(bad.$metadata.httpStatusCode).toBe(400);
    });

    it('bad names are ValidationErrors, never 500s', async () => {
      for (const cmd of [new CreateUserCommand({ UserName: 'has space' }), new CreateUserCommand({ UserName: 'x'.repeat(65) }), new CreateUserCommand({ UserName: uniq('p-'), Path: 'no-slashes' }), new GetUserCommand({ UserName: 'bad/name' })]) {
        const e = await failure(iamA.send(cmd as never));
        expect(e.name).toBe('ValidationError');
        expect(e.$metadata.httpStatusCode).toBe(400);
      }
    });
  });

  describe('login profiles', () => {
    it('CreateLoginProfile, UpdateLoginProfile, DeleteLoginProfile', async () => {
      const name = uniq('q-lp-');
      const password = `Pw-${uniq()}-Aa1!`;
      await iamA.send(new CreateUserCommand({ UserName: name }));
      const lp = await iamA.send(new CreateLoginProfileCommand({ UserName: name, Password: password, PasswordResetRequired: true }));
      expect(lp.LoginProfile).toMatchObject({ UserName: name, PasswordResetRequired: true });
      expect(lp.LoginProfile!.CreateDate).toBeInstanceOf(Date);
      expect(await failure(iamA.send(new CreateLoginProfileCommand({ UserName: name, Password: password })))).toBeInstanceOf(EntityAlreadyExistsException);

      const newPassword = `Pw-${uniq()}-Bb2!`;
      await iamA.send(new UpdateLoginProfileCommand({ UserName: name, Password: newPassword, PasswordResetRequired: false }));
      const signin = await t.http.post('/v1/signin').send({ account: a.accountId, userName: name, password: newPassword });
      expect(signin.status, JSON.stringify(signin.body)).toBe(200);

      // DeleteUser with a login profile left: DeleteConflict.
      expect(await failure(iamA.send(new DeleteUserCommand({ UserName: name })))).toBeInstanceOf(DeleteConflictException);
      await iamA.send(new DeleteLoginProfileCommand({ UserName: name }));
      expect(await failure(iamA.send(new DeleteLoginProfileCommand({ UserName: name })))).toBeInstanceOf(NoSuchEntityException);
      expect(await failure(iamA.send(new UpdateLoginProfileCommand({ UserName: name, PasswordResetRequired: true })))).toBeInstanceOf(NoSuchEntityException);
      expect(await failure(iamA.send(new CreateLoginProfileCommand({ UserName: uniq('nobody-'), Password: password })))).toBeInstanceOf(NoSuchEntityException);

      // Passwords never leave the broker: not in any response, not in the audit trail.
      const audit = bigintSafe(await t.prisma.auditEvent.findMany({ where: { chain: a.accountId } }));
      for (const p of [password, newPassword]) {
        expect(bodies.join('\n')).not.toContain(p);
        expect(audit).not.toContain(p);
      }
    });

    it('ChangePassword: the calling IAM user changes its own password', async () => {
      const self = await userWithKey(t, a, policyDoc([allow(['iam:ChangePassword', 'iam:GetUser'], `arn:aws:iam::${a.accountId}:user/\${aws:username}`)]));
      const oldPassword = `Old-${uniq()}-Aa1!`;
      await iamA.send(new CreateLoginProfileCommand({ UserName: self.userName, Password: oldPassword }));
      const iamSelf = client(self.keys);
      try {
        const wrong = await failure(iamSelf.send(new ChangePasswordCommand({ OldPassword: `${oldPassword}x`, NewPassword: `New-${uniq()}-Aa1!` })));
        expect(wrong.$metadata.httpStatusCode).toBe(403);
        const weak = await failure(iamSelf.send(new ChangePasswordCommand({ OldPassword: oldPassword, NewPassword: 'short' })));
        expect(weak).toBeInstanceOf(PasswordPolicyViolationException);

        const newPassword = `New-${uniq()}-Aa1!`;
        await iamSelf.send(new ChangePasswordCommand({ OldPassword: oldPassword, NewPassword: newPassword }));
        expect((await t.http.post('/v1/signin').send({ account: a.accountId, userName: self.userName, password: newPassword })).status).toBe(200);
        expect((await t.http.post('/v1/signin').send({ account: a.accountId, userName: self.userName, password: oldPassword })).status).not.toBe(200);
        expect(bodies.join('\n')).not.toContain(newPassword);
      } finally {
        iamSelf.destroy();
      }
    });
  });

  describe('access keys', () => {
    it('CreateAccessKey, ListAccessKeys (paged), UpdateAccessKey, DeleteAccessKey, the two-key limit', async () => {
      const name = uniq('q-ak-');
      await iamA.send(new CreateUserCommand({ UserName: name }));
      const k1 = (await iamA.send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey!;
      expect(k1).toMatchObject({ UserName: name, Status: 'Active' });
      expect(k1.AccessKeyId).toMatch(/^AKIA[A-Z0-9]{16}$/);
      expect(k1.SecretAccessKey).toHaveLength(40);
      expect(k1.CreateDate).toBeInstanceOf(Date);
      const k2 = (await iamA.send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey!;
      expect(await failure(iamA.send(new CreateAccessKeyCommand({ UserName: name })))).toBeInstanceOf(LimitExceededException);

      const all = await iamA.send(new ListAccessKeysCommand({ UserName: name }));
      expect(all.IsTruncated).toBe(false);
      expect(all.AccessKeyMetadata!.map((k) => k.AccessKeyId).sort()).toEqual([k1.AccessKeyId, k2.AccessKeyId].sort());
      expect(all.AccessKeyMetadata!.every((k) => k.UserName === name && k.Status === 'Active' && k.CreateDate instanceof Date)).toBe(true);
      const p1 = await iamA.send(new ListAccessKeysCommand({ UserName: name, MaxItems: 1 }));
      expect(p1.IsTruncated).toBe(true);
      const p2 = await iamA.send(new ListAccessKeysCommand({ UserName: name, MaxItems: 1, Marker: p1.Marker }));
      expect(p2.IsTruncated).toBe(false);
      expect([...p1.AccessKeyMetadata!, ...p2.AccessKeyMetadata!].map((k) => k.AccessKeyId).sort()).toEqual([k1.AccessKeyId, k2.AccessKeyId].sort());
      // The secret is shown once: never in a listing.
      expect(bodies.filter((x) => x.includes('ListAccessKeysResponse')).join('\n')).not.toContain(k1.SecretAccessKey);

      expect(await failure(iamA.send(new DeleteAccessKeyCommand({ UserName: name, AccessKeyId: k1.AccessKeyId })))).toBeInstanceOf(DeleteConflictException);
      await iamA.send(new UpdateAccessKeyCommand({ UserName: name, AccessKeyId: k1.AccessKeyId, Status: 'Inactive' }));
      const after = await iamA.send(new ListAccessKeysCommand({ UserName: name }));
      expect(after.AccessKeyMetadata!.find((k) => k.AccessKeyId === k1.AccessKeyId)!.Status).toBe('Inactive');
      await iamA.send(new DeleteAccessKeyCommand({ UserName: name, AccessKeyId: k1.AccessKeyId }));
      expect(await failure(iamA.send(new DeleteAccessKeyCommand({ UserName: name, AccessKeyId: k1.AccessKeyId })))).toBeInstanceOf(NoSuchEntityException);
      expect(await failure(iamA.send(new UpdateAccessKeyCommand({ UserName: name, AccessKeyId: k1.AccessKeyId, Status: 'Active' })))).toBeInstanceOf(NoSuchEntityException);
      expect((await iamA.send(new ListAccessKeysCommand({ UserName: name }))).AccessKeyMetadata!.map((k) => k.AccessKeyId)).toEqual([k2.AccessKeyId]);

      const bad = await failure(iamA.send(new UpdateAccessKeyCommand({ UserName: name, AccessKeyId: k2.AccessKeyId, Status: 'Bogus' as never })));
      expect(bad.name).toBe('ValidationError');
      expect(await failure(iamA.send(new ListAccessKeysCommand({ UserName: uniq('nobody-') })))).toBeInstanceOf(NoSuchEntityException);
    });

    it('without UserName: the caller\'s own keys; GetAccessKeyLastUsed', async () => {
      const self = await userWithKey(t, a, policyDoc([allow('iam:*AccessKey*', `arn:aws:iam::${a.accountId}:user/\${aws:username}`)]));
      const iamSelf = client(self.keys);
      try {
        const mine = await iamSelf.send(new ListAccessKeysCommand({}));
        expect(mine.AccessKeyMetadata!.map((k) => k.AccessKeyId)).toEqual([self.keys.accessKeyId]);
        const k2 = (await iamSelf.send(new CreateAccessKeyCommand({}))).AccessKey!;
        expect(k2.UserName).toBe(self.userName);

        // Never used: N/A, no date (as AWS answers).
        const unused = await iamSelf.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: k2.AccessKeyId }));
        expect(unused.UserName).toBe(self.userName);
        expect(unused.AccessKeyLastUsed).toMatchObject({ ServiceName: 'N/A', Region: 'N/A' });
        expect(unused.AccessKeyLastUsed!.LastUsedDate).toBeUndefined();

        // The key signing these calls has been used (written off the request path: poll).
        let used: GetAccessKeyLastUsedCommandOutput | undefined;
        for (let i = 0; i < 50; i++) {
          used = await iamSelf.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: self.keys.accessKeyId }));
          if (used.AccessKeyLastUsed?.LastUsedDate) break;
          await new Promise((r) => setTimeout(r, 100));
        }
        expect(used!.AccessKeyLastUsed).toMatchObject({ ServiceName: 'iam', Region: 'us-east-1' });
        expect(used!.AccessKeyLastUsed!.LastUsedDate).toBeInstanceOf(Date);

        expect(await failure(iamSelf.send(new CreateAccessKeyCommand({})))).toBeInstanceOf(LimitExceededException);
        await iamSelf.send(new UpdateAccessKeyCommand({ AccessKeyId: k2.AccessKeyId, Status: 'Inactive' }));
        await iamSelf.send(new DeleteAccessKeyCommand({ AccessKeyId: k2.AccessKeyId }));
        // A key that is gone: NoSuchEntity for whoever may read any key's last use; the
        // self-service user is refused instead (the decision never reveals which key IDs exist).
        expect(await failure(iamA.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: k2.AccessKeyId })))).toBeInstanceOf(NoSuchEntityException);
        expect((await failure(iamSelf.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: k2.AccessKeyId })))).name).toBe('AccessDenied');

        // Another user's keys need a grant the self-service policy does not give.
        const denied = await failure(iamSelf.send(new ListAccessKeysCommand({ UserName: adminA.userName })));
        expect(denied.name).toBe('AccessDenied');
        expect(denied.$metadata.httpStatusCode).toBe(403);
      } finally {
        iamSelf.destroy();
      }
    });
  });

  describe('virtual MFA devices', () => {
    it('CreateVirtualMFADevice, EnableMFADevice, ListMFADevices, DeactivateMFADevice, DeleteVirtualMFADevice', async () => {
      const self = await userWithKey(t, a, admin);
      const iamSelf = client(self.keys);
      try {
        const deviceName = uniq('dev-');
        const d = (await iamSelf.send(new CreateVirtualMFADeviceCommand({ VirtualMFADeviceName: deviceName }))).VirtualMFADevice!;
        expect(d.SerialNumber).toBe(`arn:aws:iam::${a.accountId}:mfa/${deviceName}`);
        // Blobs: the SDK decodes base64; the seed blob holds the Base32 text, the QR code a PNG.
        const seed = Buffer.from(d.Base32StringSeed!).toString('ascii');
        expect(seed).toMatch(/^[A-Z2-7]{16,}$/);
        expect(Buffer.from(d.QRCodePNG!).subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
        expect(await failure(iamSelf.send(new CreateVirtualMFADeviceCommand({ VirtualMFADeviceName: deviceName })))).toBeInstanceOf(EntityAlreadyExistsException);

        // Listed once enabled (ListMFADevices shows assigned devices).
        expect((await iamSelf.send(new ListMFADevicesCommand({}))).MFADevices).toEqual([]);
        const badCodes = await failure(iamSelf.send(new EnableMFADeviceCommand({ UserName: self.userName, SerialNumber: d.SerialNumber, AuthenticationCode1: '000000', AuthenticationCode2: '000001' })));
        expect(badCodes).toBeInstanceOf(InvalidAuthenticationCodeException);
        await iamSelf.send(new EnableMFADeviceCommand({ UserName: self.userName, SerialNumber: d.SerialNumber, AuthenticationCode1: codeAt(seed, -1), AuthenticationCode2: codeAt(seed, 0) }));
        expect(await failure(iamSelf.send(new EnableMFADeviceCommand({ UserName: self.userName, SerialNumber: d.SerialNumber, AuthenticationCode1: codeAt(seed, 0), AuthenticationCode2: codeAt(seed, 1) })))).toBeInstanceOf(EntityAlreadyExistsException);

        const listed = await iamSelf.send(new ListMFADevicesCommand({ UserName: self.userName }));
        expect(listed.IsTruncated).toBe(false);
        expect(listed.MFADevices).toHaveLength(1);
        expect(listed.MFADevices![0]).toMatchObject({ UserName: self.userName, SerialNumber: d.SerialNumber });
        expect(listed.MFADevices![0].EnableDate).toBeInstanceOf(Date);
        // An administrator sees it too.
        expect((await iamA.send(new ListMFADevicesCommand({ UserName: self.userName }))).MFADevices!.map((x) => x.SerialNumber)).toEqual([d.SerialNumber]);

        expect(await failure(iamSelf.send(new DeleteVirtualMFADeviceCommand({ SerialNumber: d.SerialNumber })))).toBeInstanceOf(DeleteConflictException);
        await iamSelf.send(new DeactivateMFADeviceCommand({ UserName: self.userName, SerialNumber: d.SerialNumber }));
        expect(await failure(iamSelf.send(new DeactivateMFADeviceCommand({ SerialNumber: d.SerialNumber })))).toBeInstanceOf(NoSuchEntityException);
        expect((await iamSelf.send(new ListMFADevicesCommand({}))).MFADevices).toEqual([]);
        await iamSelf.send(new DeleteVirtualMFADeviceCommand({ SerialNumber: d.SerialNumber }));
        expect(await failure(iamSelf.send(new DeleteVirtualMFADeviceCommand({ SerialNumber: d.SerialNumber })))).toBeInstanceOf(NoSuchEntityException);
        expect(await failure(iamSelf.send(new EnableMFADeviceCommand({ UserName: self.userName, SerialNumber: d.SerialNumber, AuthenticationCode1: '123456', AuthenticationCode2: '654321' })))).toBeInstanceOf(NoSuchEntityException);

        const badCode = await failure(iamSelf.send(new EnableMFADeviceCommand({ UserName: self.userName, SerialNumber: d.SerialNumber, AuthenticationCode1: '12345', AuthenticationCode2: 'abcdef' })));
        expect(badCode.name).toBe('ValidationError');

        // The seed is in the create response only.
        expect(bodies.filter((x) => !x.includes('CreateVirtualMFADeviceResponse')).join('\n')).not.toContain(seed);
      } finally {
        iamSelf.destroy();
      }
    });
  });

  describe('account alias and password policy', () => {
    it('CreateAccountAlias, ListAccountAliases, DeleteAccountAlias', async () => {
      const alias = uniq('q-alias-');
      await iamA.send(new CreateAccountAliasCommand({ AccountAlias: alias }));
      expect(await iamA.send(new ListAccountAliasesCommand({}))).toMatchObject({ AccountAliases: [alias], IsTruncated: false });
      // Aliases are unique across the platform.
      expect(await failure(iamB.send(new CreateAccountAliasCommand({ AccountAlias: alias })))).toBeInstanceOf(EntityAlreadyExistsException);
      expect(await failure(iamA.send(new DeleteAccountAliasCommand({ AccountAlias: uniq('other-') })))).toBeInstanceOf(NoSuchEntityException);
      // Account B cannot remove account A's alias.
      expect(await failure(iamB.send(new DeleteAccountAliasCommand({ AccountAlias: alias })))).toBeInstanceOf(NoSuchEntityException);
      await iamA.send(new DeleteAccountAliasCommand({ AccountAlias: alias }));
      expect(await iamA.send(new ListAccountAliasesCommand({}))).toMatchObject({ AccountAliases: [], IsTruncated: false });
      expect(await failure(iamA.send(new DeleteAccountAliasCommand({ AccountAlias: alias })))).toBeInstanceOf(NoSuchEntityException);
      const bad = await failure(iamA.send(new CreateAccountAliasCommand({ AccountAlias: 'Not_Valid' })));
      expect(bad.name).toBe('ValidationError');
    });

    it('GetAccountPasswordPolicy, UpdateAccountPasswordPolicy, DeleteAccountPasswordPolicy', async () => {
      // A fresh account: the policy applies to every password set in it.
      const c = await accountWithRoot(t);
      const iamC = client((await userWithKey(t, c, admin)).keys);
      try {
        expect(await failure(iamC.send(new GetAccountPasswordPolicyCommand({})))).toBeInstanceOf(NoSuchEntityException);
        await iamC.send(new UpdateAccountPasswordPolicyCommand({ MinimumPasswordLength: 14, RequireNumbers: true, RequireSymbols: true, MaxPasswordAge: 90, PasswordReusePrevention: 3, AllowUsersToChangePassword: true }));
        const p = (await iamC.send(new GetAccountPasswordPolicyCommand({}))).PasswordPolicy!;
        expect(p).toMatchObject({
          MinimumPasswordLength: 14,
          RequireNumbers: true,
          RequireSymbols: true,
          RequireUppercaseCharacters: false,
          RequireLowercaseCharacters: false,
          AllowUsersToChangePassword: true,
          ExpirePasswords: true,
          MaxPasswordAge: 90,
          PasswordReusePrevention: 3,
          HardExpiry: false,
        });

        const name = uniq('q-pp-');
        await iamC.send(new CreateUserCommand({ UserName: name }));
        const weak = await failure(iamC.send(new CreateLoginProfileCommand({ UserName: name, Password: 'Short-1!' })));
        expect(weak).toBeInstanceOf(PasswordPolicyViolationException);
        expect(weak.message).not.toContain('Short-1!');
        await iamC.send(new CreateLoginProfileCommand({ UserName: name, Password: `Long-enough-${uniq()}-1!` }));

        const bad = await failure(iamC.send(new UpdateAccountPasswordPolicyCommand({ MinimumPasswordLength: 5 })));
        expect(bad.name).toBe('ValidationError');

        // Account A's policy is its own business.
        expect(await failure(iamA.send(new GetAccountPasswordPolicyCommand({})))).toBeInstanceOf(NoSuchEntityException);

        await iamC.send(new DeleteAccountPasswordPolicyCommand({}));
        expect(await failure(iamC.send(new GetAccountPasswordPolicyCommand({})))).toBeInstanceOf(NoSuchEntityException);
        expect(await failure(iamC.send(new DeleteAccountPasswordPolicyCommand({})))).toBeInstanceOf(NoSuchEntityException);
      } finally {
        iamC.destroy();
      }
    });
  });

  describe('callers without a user name', () => {
    it('root: GetUser and ListAccessKeys without UserName are root\'s own; ChangePassword is for IAM users', async () => {
      const c = await accountWithRoot(t);
      const h = bearer(c.rootToken);
      expect((await t.http.patch(`/v1/accounts/${c.accountId}`).set(h).send({ lockRootAccessKeys: false })).status).toBe(200);
      const k = await t.http.post(`/v1/accounts/${c.accountId}/root/access-keys`).set(h);
      expect(k.status, JSON.stringify(k.body)).toBe(201);
      const iamRoot = client({ accessKeyId: k.body.accessKey.accessKeyId, secretAccessKey: k.body.accessKey.secretAccessKey });
      try {
        const me = (await iamRoot.send(new GetUserCommand({}))).User!;
        expect(me).toMatchObject({ UserId: c.accountId, Arn: `arn:aws:iam::${c.accountId}:root` });
        expect(me.UserName).toBeUndefined();
        expect((await iamRoot.send(new ListAccessKeysCommand({}))).AccessKeyMetadata!.map((x) => x.AccessKeyId)).toEqual([k.body.accessKey.accessKeyId]);
        const e = await failure(iamRoot.send(new ChangePasswordCommand({ OldPassword: 'whatever-1', NewPassword: 'whatever-2' })));
        expect(e.name).toBe('ValidationError');
        // Root's keys are root's: an administrator of the account cannot read their last use.
        const iamC = client((await userWithKey(t, c, admin)).keys);
        try {
          expect((await failure(iamC.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: k.body.accessKey.accessKeyId })))).name).toBe('AccessDenied');
        } finally {
          iamC.destroy();
        }
      } finally {
        iamRoot.destroy();
      }
    });

    it('role sessions must name the user (ValidationError), as AWS answers', async () => {
      const r = await role(t, a, trustPolicy(a.accountId), { inline: admin });
      const sts = new STSClient({ endpoint, region: 'us-east-1', credentials: adminA.keys, maxAttempts: 1 });
      try {
        const assumed = await sts.send(new AssumeRoleCommand({ RoleArn: r.arn, RoleSessionName: 'q-session' }));
        const iamRole = client(keysOf(assumed as never));
        try {
          for (const cmd of [new GetUserCommand({}), new ListAccessKeysCommand({}), new CreateAccessKeyCommand({}), new CreateVirtualMFADeviceCommand({ VirtualMFADeviceName: uniq('d-') })]) {
            const e = await failure(iamRole.send(cmd as never));
            expect(e.name, cmd.constructor.name).toBe('ValidationError');
            expect(e.$metadata.httpStatusCode).toBe(400);
          }
          // Naming one works, with the role's permissions.
          expect((await iamRole.send(new GetUserCommand({ UserName: adminA.userName }))).User!.Arn).toBe(adminA.arn);
        } finally {
          iamRole.destroy();
        }
      } finally {
        sts.destroy();
      }
    });
  });

  describe('tenant isolation', () => {
    it('a caller of account B cannot read, change or delete account A\'s users, keys, profiles or devices', async () => {
      const name = uniq('q-iso-');
      await iamA.send(new CreateUserCommand({ UserName: name }));
      const key = (await iamA.send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey!;
      await iamA.send(new CreateLoginProfileCommand({ UserName: name, Password: `Iso-${uniq()}-Aa1!` }));

      // Names resolve in the caller's own account, as in AWS: account A's user does not exist for B.
      const attempts = [
        new GetUserCommand({ UserName: name }),
        new UpdateUserCommand({ UserName: name, NewPath: '/stolen/' }),
        new DeleteUserCommand({ UserName: name }),
        new ListAccessKeysCommand({ UserName: name }),
        new CreateAccessKeyCommand({ UserName: name }),
        new UpdateAccessKeyCommand({ UserName: name, AccessKeyId: key.AccessKeyId, Status: 'Inactive' }),
        new DeleteAccessKeyCommand({ UserName: name, AccessKeyId: key.AccessKeyId }),
        new GetAccessKeyLastUsedCommand({ AccessKeyId: key.AccessKeyId }),
        new CreateLoginProfileCommand({ UserName: name, Password: `Iso-${uniq()}-Aa1!` }),
        new UpdateLoginProfileCommand({ UserName: name, PasswordResetRequired: true }),
        new DeleteLoginProfileCommand({ UserName: name }),
        new ListMFADevicesCommand({ UserName: name }),
      ];
      for (const cmd of attempts) {
        const e = await failure(iamB.send(cmd as never));
        expect(e, cmd.constructor.name).toBeInstanceOf(NoSuchEntityException);
      }
      expect((await iamB.send(new ListUsersCommand({}))).Users!.map((u) => u.UserName)).not.toContain(name);

      // Nothing changed in account A.
      expect((await iamA.send(new GetUserCommand({ UserName: name }))).User!.Path).toBe('/');
      expect((await iamA.send(new ListAccessKeysCommand({ UserName: name }))).AccessKeyMetadata).toMatchObject([{ AccessKeyId: key.AccessKeyId, Status: 'Active' }]);
      const lp = await t.http.get(`/v1/accounts/${a.accountId}/users/${name}/login-profile`).set(bearer(a.rootToken));
      expect(lp.status).toBe(200);
      expect(lp.body.passwordResetRequired).toBe(false);
    });
  });
});
