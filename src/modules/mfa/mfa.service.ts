import { Inject, Injectable } from '@nestjs/common';
import QRCode from 'qrcode';
import { mfaArn } from '../../common/arn.js';
import type { AuthContext, ClientInfo } from '../../common/auth/auth-context.js';
import { base32Decode, base32Encode } from '../../common/crypto/base32.js';
import { SecretBox } from '../../common/crypto/secret-box.js';
import { generateTotpSecret, otpauthUri, verifyConsecutiveTotp, verifyTotp } from '../../common/crypto/totp.js';
import { DomainError } from '../../common/errors/domain-error.js';
import { ErrorCode } from '../../common/errors/error-codes.js';
import { isValidMfaDeviceName } from '../../common/validation/iam-names.js';
import { PrismaService } from '../../db/prisma.service.js';
import { actorOf, AuditService } from '../audit/audit.service.js';
import { ThrottleService } from '../auth/throttle.service.js';
import { principalArnOf } from '../users/user.views.js';
import { UsersRepository, type UserRow } from '../users/users.repository.js';
import { MfaRepository, type MfaDeviceRow } from './mfa.repository.js';

/** AWS allows up to 8 MFA devices per user. */
export const MAX_MFA_DEVICES = 8;

/** The user whose devices are managed: an IAM user by name, or root (null). */
export type MfaTarget = { accountId: string; userName: string | null };

function deviceView(d: MfaDeviceRow, user: UserRow) {
  return {
    serialNumber: d.serialNumber,
    deviceName: d.name,
    userName: user.name ?? 'root',
    enabled: d.enabledAt !== null,
    enableDate: d.enabledAt?.toISOString() ?? null,
    createDate: d.createdAt.toISOString(),
  };
}

/** Virtual MFA (RFC 6238 TOTP) devices: enroll, enable, deactivate, delete, verify. */
@Injectable()
export class MfaService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly repo: MfaRepository,
    private readonly users: UsersRepository,
    private readonly audit: AuditService,
    private readonly throttle: ThrottleService,
    @Inject(SecretBox) private readonly box: SecretBox,
  ) {}

  private async user(t: MfaTarget): Promise<UserRow> {
    const u = t.userName === null ? await this.users.findRoot(t.accountId) : await this.users.findByName(t.accountId, t.userName);
    if (!u) throw DomainError.noSuchEntity(`The user with name ${t.userName}`);
    return u;
  }

  private async device(t: MfaTarget, serialNumber: string): Promise<{ user: UserRow; device: MfaDeviceRow }> {
    const user = await this.user(t);
    const device = await this.repo.findForUser(t.accountId, user.id, serialNumber);
    if (!device) throw DomainError.noSuchEntity(`MFA device ${serialNumber}`);
    return { user, device };
  }

  private seed(d: MfaDeviceRow): Buffer {
    return base32Decode(this.box.decryptString(d.seedCiphertext, d.serialNumber));
  }

  async list(t: MfaTarget) {
    const user = await this.user(t);
    return { mfaDevices: (await this.repo.listForUser(t.accountId, user.id)).map((d) => deviceView(d, user)) };
  }

  /** Creates a device; the seed, URI and QR code are returned this once only. */
  async create(auth: AuthContext, t: MfaTarget, deviceName: string, client: ClientInfo) {
    if (!isValidMfaDeviceName(deviceName)) throw DomainError.validation('Device name must be 1-226 characters of letters, digits and +=,.@_-.');
    const user = await this.user(t);
    const seed = generateTotpSecret();
    const base32 = base32Encode(seed, { padding: false });
    const serialNumber = mfaArn(t.accountId, '/', deviceName);
    const label = user.kind === 'ROOT' ? `root@${t.accountId}` : `${user.name}@${t.accountId}`;
    const uri = otpauthUri({ secret: seed, issuer: 'credbroker', accountName: label });
    const device = await this.prisma.transaction(async (tx) => {
      if ((await this.repo.listForUser(t.accountId, user.id, tx)).length >= MAX_MFA_DEVICES) {
        throw new DomainError(ErrorCode.LimitExceeded, `A user can have at most ${MAX_MFA_DEVICES} MFA devices.`);
      }
      const d = await this.repo.create(tx, { accountId: t.accountId, userId: user.id, name: deviceName, serialNumber, seedCiphertext: this.box.encrypt(base32, serialNumber) });
      await this.audit.append(tx, { chain: t.accountId, action: 'iam:CreateVirtualMFADevice', outcome: 'success', actor: actorOf(auth), resourceArn: serialNumber, client, details: { userArn: principalArnOf(user) } });
      return d;
    });
    return { ...deviceView(device, user), base32StringSeed: base32, otpauthUri: uri, qrCodePng: (await QRCode.toBuffer(uri, { type: 'png', margin: 2 })).toString('base64') };
  }

  /** Enables a device with two consecutive codes (IAM EnableMFADevice). */
  async enable(auth: AuthContext, t: MfaTarget, serialNumber: string, code1: string, code2: string, client: ClientInfo) {
    const { user, device } = await this.device(t, serialNumber);
    if (device.enabledAt) throw new DomainError(ErrorCode.EntityAlreadyExists, `MFA device ${serialNumber} is already enabled.`);
    const subject = { principalKey: `mfa:${device.id}`, ip: client.sourceIp };
    await this.throttle.assertNotLocked(subject, 'mfa');
    const step = verifyConsecutiveTotp(this.seed(device), code1, code2, new Date());
    if (step === null) {
      await this.throttle.recordFailure(subject, 'mfa');
      await this.audit.record({ chain: t.accountId, action: 'iam:EnableMFADevice', outcome: 'denied', errorCode: ErrorCode.InvalidAuthenticationCode, actor: actorOf(auth), resourceArn: serialNumber, client });
      throw new DomainError(ErrorCode.InvalidAuthenticationCode, 'Authentication code for device is not valid.');
    }
    await this.prisma.transaction(async (tx) => {
      await this.repo.enable(tx, t.accountId, device.id, step);
      await this.audit.append(tx, { chain: t.accountId, action: 'iam:EnableMFADevice', outcome: 'success', actor: actorOf(auth), resourceArn: serialNumber, client, details: { userArn: principalArnOf(user) } });
    });
    await this.throttle.recordSuccess(subject, 'mfa');
    return deviceView((await this.repo.findForUser(t.accountId, user.id, serialNumber))!, user);
  }

  async deactivate(auth: AuthContext, t: MfaTarget, serialNumber: string, client: ClientInfo) {
    const { user, device } = await this.device(t, serialNumber);
    if (!device.enabledAt) throw DomainError.noSuchEntity(`Enabled MFA device ${serialNumber}`);
    await this.prisma.transaction(async (tx) => {
      await this.repo.deactivate(tx, t.accountId, device.id);
      await this.audit.append(tx, { chain: t.accountId, action: 'iam:DeactivateMFADevice', outcome: 'success', actor: actorOf(auth), resourceArn: serialNumber, client, details: { userArn: principalArnOf(user) } });
    });
  }

  async delete(auth: AuthContext, t: MfaTarget, serialNumber: string, client: ClientInfo) {
    const { user, device } = await this.device(t, serialNumber);
    if (device.enabledAt) throw new DomainError(ErrorCode.DeleteConflict, 'MFA device is still enabled: deactivate it first.');
    await this.prisma.transaction(async (tx) => {
      await this.repo.delete(tx, t.accountId, device.id);
      await this.audit.append(tx, { chain: t.accountId, action: 'iam:DeleteVirtualMFADevice', outcome: 'success', actor: actorOf(auth), resourceArn: serialNumber, client, details: { userArn: principalArnOf(user) } });
    });
  }

  async hasEnabledDevice(accountId: string, userId: string): Promise<boolean> {
    return this.repo.hasEnabled(accountId, userId);
  }

  /**
   * Verifies a sign-in code against the user's enabled devices (±1 step) and
   * consumes its time step atomically: the same code never works twice, even
   * for two concurrent requests.
   */
  async verifyCode(accountId: string, userId: string, code: string): Promise<boolean> {
    const devices = (await this.repo.listForUser(accountId, userId)).filter((d) => d.enabledAt);
    for (const d of devices) {
      const last = d.lastUsedStep === null ? null : Number(d.lastUsedStep);
      const step = verifyTotp(this.seed(d), code, new Date(), { afterStep: last });
      if (step !== null && (await this.repo.consumeStep(accountId, d.id, step))) return true;
    }
    return false;
  }

  /**
   * Verifies a code from one named device of the user (STS calls with
   * SerialNumber + TokenCode), consuming its time step like sign-in does.
   */
  async verifyDeviceCode(accountId: string, userId: string, serialNumber: string, code: string): Promise<boolean> {
    const d = (await this.repo.listForUser(accountId, userId)).find((x) => x.enabledAt && x.serialNumber === serialNumber);
    if (!d) return false;
    const last = d.lastUsedStep === null ? null : Number(d.lastUsedStep);
    const step = verifyTotp(this.seed(d), code, new Date(), { afterStep: last });
    return step !== null && this.repo.consumeStep(accountId, d.id, step);
  }
}
