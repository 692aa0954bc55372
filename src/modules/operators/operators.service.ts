import { Injectable } from '@nestjs/common';
import { newOpaqueToken, sha256Hex } from '../../common/ids.js';
import { DomainError } from '../../common/errors/domain-error.js';
import type { AuthContext, ClientInfo } from '../../common/auth/auth-context.js';
import { PrismaService } from '../../db/prisma.service.js';
import { AuditService, PLATFORM_CHAIN } from '../audit/audit.service.js';
import { OperatorsRepository } from './operators.repository.js';

export const OPERATOR_TOKEN_PREFIX = 'cbop_';

export function operatorArn(name: string): string {
  return `arn:credbroker:platform::operator/${name}`;
}

/** Platform operators: created by `credbroker bootstrap`, authenticate with a bearer token. */
@Injectable()
export class OperatorsService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly repo: OperatorsRepository,
    private readonly audit: AuditService,
  ) {}

  /**
   * Creates an operator and returns its token: the only time it is shown.
   * The first operator only through bootstrap (`requireEmpty`), so nothing
   * is ever created silently on an empty database.
   */
  async create(name: string, client: ClientInfo, opts: { requireEmpty: boolean }): Promise<{ name: string; token: string }> {
    if (!/^[\w+=,.@-]{1,64}$/.test(name)) throw DomainError.validation('Operator name must be 1-64 characters of [A-Za-z0-9_+=,.@-].');
    if (opts.requireEmpty && (await this.repo.count()) > 0) {
      throw new DomainError('EntityAlreadyExists', 'The platform is already bootstrapped; use `credbroker operator create` to add operators.');
    }
    const token = newOpaqueToken(OPERATOR_TOKEN_PREFIX);
    await this.prisma.transaction(async (tx) => {
      await this.repo.create(tx, name, sha256Hex(token));
      await this.audit.append(tx, {
        chain: PLATFORM_CHAIN,
        action: opts.requireEmpty ? 'platform:Bootstrap' : 'platform:CreateOperator',
        outcome: 'success',
        resourceArn: operatorArn(name),
        client,
      });
    });
    return { name, token };
  }

  async authenticate(token: string): Promise<AuthContext | null> {
    if (!token.startsWith(OPERATOR_TOKEN_PREFIX)) return null;
    const op = await this.repo.findLiveByTokenHash(sha256Hex(token));
    if (!op) return null;
    return {
      method: 'operator-token',
      accountId: null,
      principal: { kind: 'Operator', id: op.id, arn: operatorArn(op.name), name: op.name, userId: op.id },
      mfa: { present: false },
      tags: {},
    };
  }
}
