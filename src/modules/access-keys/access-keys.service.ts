import { Inject, Injectable, Logger } from '@nestjs/common';
import type { AuthContext, ClientInfo } from '../../common/auth/auth-context.js';
import { SecretBox } from '../../common/crypto/secret-box.js';
import { DomainError } from '../../common/errors/domain-error.js';
import { ErrorCode } from '../../common/errors/error-codes.js';
import { newAccessKeyId, newSecretAccessKey } from '../../common/ids.js';
import { PrismaService } from '../../db/prisma.service.js';
import type { Account } from '../../generated/prisma/client.js';
import { AccountsRepository } from '../accounts/accounts.repository.js';
import { actorOf, AuditService } from '../audit/audit.service.js';
import { AwsIamGateway } from '../aws/aws-iam.gateway.js';
import { principalArnOf } from '../users/user.views.js';
import { UsersRepository, type UserRow } from '../users/users.repository.js';
import { accessKeyCsv, accessKeyView } from './access-key.views.js';
import { AccessKeysRepository } from './access-keys.repository.js';
import { KeyCache } from './key-cache.js';

/** At most two access keys per user, inactive ones included. */
export const MAX_ACCESS_KEYS = 2;

/** Whose keys: an IAM user by name, or root (null). */
export type KeyOwner = { accountId: string; userName: string | null };

type Owner = { account: Account; user: UserRow; displayName: string; arn: string; upstreamUser: string | null };

/**
 * Access key lifecycle: create (secret shown once), list, activate or
 * deactivate, delete only when inactive, last use, and the key-age report.
 * Keys of AWS-mirrored users go through AWS IAM with the same rules on top.
 */
@Injectable()
export class AccessKeysService {
  private readonly logger = new Logger('AccessKeys');

  constructor(
    private readonly prisma: PrismaService,
    private readonly repo: AccessKeysRepository,
    private readonly users: UsersRepository,
    private readonly accounts: AccountsRepository,
    private readonly audit: AuditService,
    private readonly aws: AwsIamGateway,
    private readonly cache: KeyCache,
    @Inject(SecretBox) private readonly box: SecretBox,
  ) {}

  private async owner(o: KeyOwner): Promise<Owner> {
    const account = await this.accounts.findById(o.accountId);
    const user = o.userName === null ? await this.users.findRoot(o.accountId) : await this.users.findByName(o.accountId, o.userName);
    if (!account || !user) throw DomainError.noSuchEntity(`The user with name ${o.userName}`);
    const upstreamUser = account.awsAccountId && user.awsUserName ? user.awsUserName : null;
    return { account, user, displayName: user.name ?? 'root', arn: principalArnOf(user), upstreamUser };
  }

  async create(auth: AuthContext, o: KeyOwner, client: ClientInfo) {
    const ow = await this.owner(o);
    if (ow.user.kind === 'ROOT' && ow.account.lockRootAccessKeys) {
      throw new DomainError(ErrorCode.AccessDenied, 'Root access keys are locked for this account (setting lockRootAccessKeys); use an IAM user, or turn the lock off first.');
    }
    let upstreamId: string | null = null;
    try {
      const created = await this.prisma.transaction(async (tx) => {
        await this.repo.lockOwner(tx, o.accountId, ow.user.id);
        if ((await this.repo.countForUser(o.accountId, ow.user.id, tx)) >= MAX_ACCESS_KEYS) {
          throw new DomainError(ErrorCode.LimitExceeded, `Cannot exceed quota for AccessKeysPerUser: ${MAX_ACCESS_KEYS}. Delete an inactive key first.`);
        }
        let id: string;
        let secret: string;
        let createdAt = new Date();
        if (ow.upstreamUser) {
          const k = await this.aws.createAccessKey(ow.upstreamUser);
          upstreamId = k.accessKeyId;
          ({ accessKeyId: id, secretAccessKey: secret, createDate: createdAt } = k);
        } else {
          id = newAccessKeyId('AKIA');
          secret = newSecretAccessKey();
        }
        const row = await this.repo.create(tx, {
          id,
          accountId: o.accountId,
          userId: ow.user.id,
          // Upstream secrets are AWS's business: the broker keeps none.
          secretCiphertext: ow.upstreamUser ? null : this.box.encrypt(secret, id),
          upstream: !!ow.upstreamUser,
          createdAt,
        });
        await this.audit.append(tx, {
          chain: o.accountId,
          action: 'iam:CreateAccessKey',
          outcome: 'success',
          actor: actorOf(auth),
          resourceArn: ow.arn,
          client,
          details: { accessKeyId: id, source: ow.upstreamUser ? 'aws' : 'broker' },
        });
        return { row, secret };
      });
      const { row, secret } = created;
      return {
        accessKey: { ...accessKeyView(row, ow.displayName, ow.account.maxAccessKeyAgeDays), secretAccessKey: secret },
        csv: accessKeyCsv(row.id, secret),
      };
    } catch (e) {
      // Nothing half-done: a key AWS created but the broker could not record is deleted again.
      if (upstreamId && ow.upstreamUser) {
        await this.aws.deleteAccessKey(ow.upstreamUser, upstreamId).catch((err: unknown) =>
          this.logger.error({ requestId: client.requestId, msg: `could not remove upstream key ${upstreamId} after a failed create: ${(err as Error).message}` }),
        );
      }
      throw e;
    }
  }

  async list(o: KeyOwner) {
    const ow = await this.owner(o);
    const rows = await this.repo.listForUser(o.accountId, ow.user.id);
    return { userName: ow.displayName, accessKeyMetadata: rows.map((k) => accessKeyView(k, ow.displayName, ow.account.maxAccessKeyAgeDays)) };
  }

  private async key(o: KeyOwner, accessKeyId: string) {
    const ow = await this.owner(o);
    const key = await this.repo.find(o.accountId, ow.user.id, accessKeyId);
    if (!key) throw DomainError.noSuchEntity(`The Access Key with id ${accessKeyId}`);
    return { ow, key };
  }

  async updateStatus(auth: AuthContext, o: KeyOwner, accessKeyId: string, status: 'Active' | 'Inactive', client: ClientInfo) {
    const { ow, key } = await this.key(o, accessKeyId);
    if (key.upstream && ow.upstreamUser) await this.aws.updateAccessKey(ow.upstreamUser, key.id, status);
    try {
      await this.prisma.transaction(async (tx) => {
        await this.repo.setStatus(tx, o.accountId, key.id, status);
        await this.audit.append(tx, { chain: o.accountId, action: 'iam:UpdateAccessKey', outcome: 'success', actor: actorOf(auth), resourceArn: ow.arn, client, details: { accessKeyId: key.id, status } });
      });
    } catch (e) {
      if (key.upstream && ow.upstreamUser) await this.aws.updateAccessKey(ow.upstreamUser, key.id, key.status).catch(() => undefined);
      throw e;
    }
    this.cache.invalidate(key.id);
    return accessKeyView({ ...key, status }, ow.displayName, ow.account.maxAccessKeyAgeDays);
  }

  /** Only an inactive key can be deleted; `confirm`, when given, must repeat the key ID. */
  async delete(auth: AuthContext, o: KeyOwner, accessKeyId: string, confirm: string | undefined, client: ClientInfo) {
    if (confirm !== undefined && confirm !== accessKeyId) throw DomainError.validation('The confirmation does not match the access key ID.');
    const { ow, key } = await this.key(o, accessKeyId);
    if (key.status !== 'Inactive') {
      throw new DomainError(ErrorCode.DeleteConflict, 'The access key is active: deactivate it first, check its last use, then delete it.');
    }
    if (key.upstream && ow.upstreamUser) {
      await this.aws.deleteAccessKey(ow.upstreamUser, key.id).catch((e: unknown) => {
        // Already gone upstream (an earlier attempt): finish the deletion here.
        if (!(e instanceof DomainError && e.code === ErrorCode.NoSuchEntity)) throw e;
      });
    }
    await this.prisma.transaction(async (tx) => {
      await this.repo.delete(tx, o.accountId, key.id);
      await this.audit.append(tx, { chain: o.accountId, action: 'iam:DeleteAccessKey', outcome: 'success', actor: actorOf(auth), resourceArn: ow.arn, client, details: { accessKeyId: key.id } });
    });
    this.cache.invalidate(key.id);
  }

  async lastUsed(o: KeyOwner, accessKeyId: string) {
    const { ow, key } = await this.key(o, accessKeyId);
    if (key.upstream) {
      const u = await this.aws.getAccessKeyLastUsed(key.id);
      return { userName: ow.displayName, accessKeyId: key.id, lastUsed: { date: u.lastUsedDate?.toISOString() ?? null, serviceName: u.serviceName ?? 'N/A', action: null, region: u.region ?? 'N/A' } };
    }
    const v = accessKeyView(key, ow.displayName, ow.account.maxAccessKeyAgeDays);
    return { userName: v.userName, accessKeyId: v.accessKeyId, lastUsed: v.lastUsed };
  }

  /** Every key of the account with its age; those past the account's maximum age flagged. */
  async report(accountId: string) {
    const account = await this.accounts.findById(accountId);
    if (!account) throw DomainError.noSuchEntity('The account');
    const rows = await this.repo.listForAccount(accountId);
    const keys = rows.map((k) => accessKeyView(k, k.user.name ?? 'root', account.maxAccessKeyAgeDays));
    return { maxAccessKeyAgeDays: account.maxAccessKeyAgeDays, generatedAt: new Date().toISOString(), keys, overdue: keys.filter((k) => k.exceedsMaxAge).map((k) => k.accessKeyId) };
  }
}
