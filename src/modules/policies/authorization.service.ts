import { Injectable } from '@nestjs/common';
import type { AuthContext, ClientInfo } from '../../common/auth/auth-context.js';
import { parseArn } from '../../common/arn.js';
import { parsePolicyDocument, type PolicyDocument } from '../../common/policy/policy-document.js';
import { evaluatePolicies, isAllowed, type ConditionValue, type RequestContext } from '../../common/policy/policy-evaluator.js';
import { BUILTIN_BY_ARN } from './builtin-policies.js';
import { AccountsRepository } from '../accounts/accounts.repository.js';
import { IdentityPolicyCache } from './identity-policy-cache.js';
import { PoliciesRepository } from './policies.repository.js';

/** The identity policy cache's key for a principal (account and principal ids contain no '|'). */
const policyKey = (accountId: string, kind: 'USER' | 'ROLE', id: string) => `${accountId}|${kind}|${id}`;

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
    private readonly cache: IdentityPolicyCache,
  ) {
    this.cache.refreshInBatches((keys) => this.identityPoliciesOf(keys));
  }

  async isAllowed(auth: AuthContext, action: string, resource: string, client?: ClientInfo, extraKeys: Record<string, ConditionValue> = {}): Promise<boolean> {
    if (auth.method === 'operator-token' || !auth.accountId) return false;
    // Nothing in another account, whoever the caller is.
    if (resource !== '*') {
      const arn = parseArn(resource);
      if (arn && arn.accountId && arn.accountId !== auth.accountId) return false;
    }
    return this.identityAllows(auth, action, resource, client, extraKeys);
  }

  /**
   * The caller's own policies (identity ∩ session), whatever account the
   * resource is in: for STS, where a cross-account AssumeRole needs the
   * caller's account to allow it and the role's trust policy to agree.
   */
  identityAllows(auth: AuthContext, action: string, resource: string, client?: ClientInfo, extraKeys: Record<string, ConditionValue> = {}): Promise<boolean> {
    return this.identityAllowsWith(auth, action, resource, Object.assign(this.conditionKeys(auth, client), extraKeys));
  }

  /** The same with the request's complete condition keys (`conditionKeys` plus the request's own), built once by a caller that needs them twice. */
  async identityAllowsWith(auth: AuthContext, action: string, resource: string, keys: Record<string, ConditionValue>): Promise<boolean> {
    if (auth.method === 'operator-token' || !auth.accountId) return false;
    if (sessionCannot(auth, action)) return false;
    const ctx: RequestContext = { action, resource, keys };
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
    if (!auth.accountId) return [];
    const kind = auth.principal.kind;
    if (kind === 'Root') return [ALLOW_ALL];
    const accountId = auth.accountId;
    if (kind === 'AssumedRole') {
      const roleId = auth.session?.roleId;
      return roleId ? this.cache.get(policyKey(accountId, 'ROLE', roleId), async () => this.documents(await this.policies.forRole(accountId, roleId))) : [];
    }
    // A federated user has the permissions of the user that federated it (root: all), always cut by its session policies.
    if (kind === 'FederatedUser' && auth.session?.baseUserKind === 'Root') return [ALLOW_ALL];
    if (kind !== 'IAMUser' && kind !== 'FederatedUser') return [];
    const userId = auth.principal.id;
    return this.cache.get(policyKey(accountId, 'USER', userId), async () => this.documents(await this.policies.forUser(accountId, userId)));
  }

  /** The cache's batched refresh: the documents of many principals (keys made by `policyKey`). */
  private async identityPoliciesOf(keys: string[]): Promise<Map<string, PolicyDocument[] | null>> {
    const principals = keys.map((key) => {
      const [accountId, kind, id] = key.split('|') as [string, 'USER' | 'ROLE', string];
      return { accountId, kind, id };
    });
    const found = await this.policies.forPrincipals(principals);
    return new Map(keys.map((key, i) => [key, this.documents(found[i]!)]));
  }

  private documents({ arns, inline, customer }: { arns: string[]; inline: string[]; customer: Map<string, string> }): PolicyDocument[] {
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
      // For a role session, the role's ARN (as in AWS), not the session's.
      'aws:PrincipalArn': auth.session?.roleArn ?? auth.principal.arn,
      'aws:PrincipalType': auth.principal.kind === 'Root' ? 'Account' : auth.principal.kind === 'IAMUser' ? 'User' : auth.principal.kind,
      'aws:userid': auth.principal.userId,
      'aws:CurrentTime': now.toISOString(),
      'aws:EpochTime': Math.floor(now.getTime() / 1000),
      'aws:SecureTransport': false,
    };
    if (auth.principal.kind === 'IAMUser') keys['aws:username'] = auth.principal.name;
    // Present only for credentials that can carry MFA (console and STS sessions), as in AWS.
    if (auth.method !== 'sigv4' || auth.mfa.present || auth.session) {
      keys['aws:MultiFactorAuthPresent'] = auth.mfa.present;
      if (auth.mfa.authenticatedAt) keys['aws:MultiFactorAuthAge'] = Math.floor((now.getTime() - auth.mfa.authenticatedAt.getTime()) / 1000);
    }
    if (client) {
      keys['aws:SourceIp'] = client.sourceIp;
      if (client.userAgent) keys['aws:UserAgent'] = client.userAgent;
    }
    if (auth.session) {
      keys['aws:TokenIssueTime'] = auth.session.issuedAt.toISOString();
      if (auth.session.sourceIdentity) keys['aws:SourceIdentity'] = auth.session.sourceIdentity;
    }
    for (const [k, v] of Object.entries(auth.tags)) keys[`aws:PrincipalTag/${k}`] = v;
    return keys;
  }
}

/**
 * What AWS withholds from some temporary credentials whatever their policies
 * say: session-token credentials without MFA and federated users cannot call
 * IAM; neither can call STS except AssumeRole (session tokens) and
 * GetCallerIdentity (both).
 */
function sessionCannot(auth: AuthContext, action: string): boolean {
  const type = auth.session?.type;
  if (type !== 'SessionToken' && type !== 'FederatedUser') return false;
  const a = action.toLowerCase();
  if (a.startsWith('iam:')) return type === 'FederatedUser' || !auth.mfa.present;
  if (a.startsWith('sts:')) return a !== 'sts:getcalleridentity' && !(type === 'SessionToken' && a === 'sts:assumerole');
  return false;
}

const ALLOW_ALL: PolicyDocument = parsePolicyDocument({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] });
