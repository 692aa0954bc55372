import { Injectable } from '@nestjs/common';
import type { AuthContext, ClientInfo } from '../../common/auth/auth-context.js';
import { DomainError } from '../../common/errors/domain-error.js';
import { ErrorCode } from '../../common/errors/error-codes.js';
import { actorOf, AuditService } from '../audit/audit.service.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { AuthorizationService } from '../policies/authorization.service.js';

/**
 * The one place an authenticated request is authorized and a refusal is
 * recorded, whatever the transport (REST guard, AWS Query, GraphQL): the
 * caller's policies decide, a refusal is audited and becomes AccessDenied.
 */
@Injectable()
export class AccessGate {
  constructor(
    private readonly authz: AuthorizationService,
    private readonly audit: AuditService,
    private readonly metrics: MetricsService,
  ) {}

  /** Passes when `auth` may perform `action` on `resource`; otherwise audits the refusal and throws AccessDenied. */
  async authorize(auth: AuthContext, action: string, resource: string, client: ClientInfo, details?: Record<string, unknown>): Promise<void> {
    // A restricted session (enroll MFA / change password first) acts on itself only.
    if (auth.restriction && resource !== auth.principal.arn) return this.deny(auth, action, resource, client, details);
    if (!(await this.authz.isAllowed(auth, action, resource, client))) return this.deny(auth, action, resource, client, details);
  }

  /** Audits a refusal (when the caller belongs to an account) and throws AccessDenied. */
  async deny(auth: AuthContext, action: string, resource: string, client: ClientInfo, details?: Record<string, unknown>): Promise<never> {
    this.metrics.refusals.inc({ code: ErrorCode.AccessDenied });
    if (auth.accountId) {
      await this.audit.record({
        chain: auth.accountId,
        action,
        outcome: 'denied',
        errorCode: ErrorCode.AccessDenied,
        actor: actorOf(auth),
        resourceArn: resource || null,
        client,
        details,
      });
    }
    throw DomainError.accessDenied(action.includes(':') ? action : undefined, resource || undefined);
  }
}
