import { Injectable } from '@nestjs/common';
import type { AuthContext, ClientInfo } from '../../common/auth/auth-context.js';
import { parseArn } from '../../common/arn.js';
import { parsePolicyDocument, type PolicyDocument } from '../../common/policy/policy-document.js';
import { evaluatePolicies, isAllowed, type ConditionValue, type RequestContext } from '../../common/policy/policy-evaluator.js';
import { BUILTIN_BY_ARN } from './builtin-policies.js';
import { AccountsRepository } from '../accounts/accounts.repository.js';
import { PoliciesRepository } from './policies.repository.js';

/** Parsed documents by their text: parsing happens once per distinct document. */
const PARSE_CACHE_MAX = 2000;

/**
 * Decides whether an authenticated principal may perform an action on a
 * resource: root may do anything in its own account, IAM users what their
 * policies (user, groups, managed and inline) allow, always intersected with
 * the session's policies. Deny by default; explicit deny wins.
 */
@Injectable()
export class AuthorizationService {
  private readonly parsed = new Map<string, PolicyDocument>();

  constructor(
    private readonly policies: PoliciesRepository,
    private readonly accounts: AccountsRepository,
  ) {}

  async isAllowed(auth: AuthContext, action: string, resource: string, client?: ClientInfo, extraKeys: Record<string, ConditionValue> = {}): Promise<boolean> {
    if (auth.method === 'operator-token' || !auth.accountId) return false;
    // Nothing in another account, whoever the caller is.
    if (resource !== '*') {
      const arn = parseArn(resource);
      if (arn && arn.accountId && arn.accountId !== auth.accountId) return false;
    }
    const ctx: RequestContext = { action, resource, keys: { ...this.conditionKeys(auth, client), ...extraKeys } };
    if (auth.principal.kind === 'Root') {
      return auth.sessionPolicies ? isAllowed([ALLOW_ALL], ctx, auth.sessionPolicies) : true;
    }
    const identity = await this.identityPolicies(auth);
    if (isAllowed(identity, ctx, auth.sessionPolicies)) return true;
    return this.impliedChangePassword(auth, action, resource, identity, ctx);
  }

  /**
   * As in IAM: users may change their own password when the account password
   * policy allows it (AllowUsersToChangePassword), and always when they must
   * (an administrator reset or an expired password), unless a policy denies it.
   */
  private async impliedChangePassword(auth: AuthContext, action: string, resource: string, identity: PolicyDocument[], ctx: RequestContext): Promise<boolean> {
    if (action !== 'iam:ChangePassword' || resource !== auth.principal.arn || auth.principal.kind !== 'IAMUser') return false;
    if (evaluatePolicies(identity, ctx) === 'ExplicitDeny') return false;
    if (auth.restriction === 'password-change') return true;
    return (await this.accounts.getPasswordPolicy(auth.accountId!))?.allowUsersToChangePassword === true;
  }

  /** The identity-based policies that apply to the caller. */
  async identityPolicies(auth: AuthContext): Promise<PolicyDocument[]> {
    if (auth.principal.kind !== 'IAMUser' || !auth.accountId) return [];
    const { arns, inline, customer } = await this.policies.forUser(auth.accountId, auth.principal.id);
    const docs: string[] = [...inline];
    for (const arn of arns) {
      const text = BUILTIN_BY_ARN.get(arn)?.document ?? customer.get(arn);
      if (text) docs.push(text);
    }
    return docs.map((d) => this.parse(d));
  }

  private parse(text: string): PolicyDocument {
    let doc = this.parsed.get(text);
    if (!doc) {
      doc = parsePolicyDocument(text);
      if (this.parsed.size >= PARSE_CACHE_MAX) this.parsed.delete(this.parsed.keys().next().value!);
      this.parsed.set(text, doc);
    }
    return doc;
  }

  conditionKeys(auth: AuthContext, client?: ClientInfo): Record<string, ConditionValue> {
    const now = new Date();
    const keys: Record<string, ConditionValue> = {
      'aws:PrincipalAccount': auth.accountId ?? undefined,
      'aws:PrincipalArn': auth.principal.arn,
      'aws:PrincipalType': auth.principal.kind === 'Root' ? 'Account' : auth.principal.kind === 'IAMUser' ? 'User' : auth.principal.kind,
      'aws:userid': auth.principal.userId,
      'aws:CurrentTime': now.toISOString(),
      'aws:EpochTime': Math.floor(now.getTime() / 1000),
      'aws:SecureTransport': false,
    };
    if (auth.principal.kind === 'IAMUser') keys['aws:username'] = auth.principal.name;
    // Present only for credentials that can carry MFA (console and STS sessions), as in AWS.
    if (auth.method !== 'sigv4' || auth.mfa.present) {
      keys['aws:MultiFactorAuthPresent'] = auth.mfa.present;
      if (auth.mfa.authenticatedAt) keys['aws:MultiFactorAuthAge'] = Math.floor((now.getTime() - auth.mfa.authenticatedAt.getTime()) / 1000);
    }
    if (client) {
      keys['aws:SourceIp'] = client.sourceIp;
      if (client.userAgent) keys['aws:UserAgent'] = client.userAgent;
    }
    for (const [k, v] of Object.entries(auth.tags)) keys[`aws:PrincipalTag/${k}`] = v;
    return keys;
  }
}

const ALLOW_ALL: PolicyDocument = parsePolicyDocument({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] });
