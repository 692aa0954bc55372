import { Injectable } from '@nestjs/common';
import { ARN_ACCOUNT_ID_RE } from '../../common/arn.js';
import type { AuthContext, ClientInfo } from '../../common/auth/auth-context.js';
import { DomainError } from '../../common/errors/domain-error.js';
import { AccountsService } from '../accounts/accounts.service.js';
import { AccessGate } from '../auth/access-gate.service.js';

/**
 * Who may read what through GraphQL, the same rules as the REST guard: an
 * account principal reads only its own account (another account does not
 * exist, as far as it can tell) and needs the action on the resource (refusals
 * audited by the AccessGate); platform operators read any account that exists.
 */
@Injectable()
export class GraphAccess {
  constructor(
    private readonly gate: AccessGate,
    private readonly accounts: AccountsService,
  ) {}

  /**
   * Checks already made in this request, by its ClientInfo (one per request: `clientOf`). A query that
   * resolves the same relation on many rows (each audit event's actor, say) checks it once: one
   * authorization, and for a refused principal one audit record instead of one per row.
   */
  private readonly made = new WeakMap<ClientInfo, Map<string, Promise<void>>>();

  /** Passes when `auth` may perform `action` on `resource` in `accountId`; throws NoSuchEntity / AccessDenied otherwise. */
  require(auth: AuthContext, accountId: string, action: string, resource: string, client: ClientInfo): Promise<void> {
    let checks = this.made.get(client);
    if (!checks) {
      checks = new Map();
      this.made.set(client, checks);
    }
    const id = `${accountId}\n${action}\n${resource}`;
    let check = checks.get(id);
    if (!check) {
      check = this.check(auth, accountId, action, resource, client);
      checks.set(id, check);
    }
    return check;
  }

  private async check(auth: AuthContext, accountId: string, action: string, resource: string, client: ClientInfo): Promise<void> {
    if (!ARN_ACCOUNT_ID_RE.test(accountId)) throw DomainError.validation('account must be a 12-digit account ID.');
    if (auth.method === 'operator-token') {
      // Existence only (an operator sees every account); ids are validated by the DTOs.
      await this.accounts.get(auth, accountId);
      return;
    }
    if (auth.accountId === null || auth.accountId !== accountId) throw DomainError.noSuchEntity('The account');
    await this.gate.authorize(auth, action, resource, client, { transport: 'graphql' });
  }
}
