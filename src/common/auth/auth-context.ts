import type { PolicyDocument } from '../policy/policy-document.js';

export type AuthMethod = 'password' | 'console-session' | 'sigv4' | 'operator-token' | 'container-token';

export type PrincipalKind = 'Root' | 'IAMUser' | 'AssumedRole' | 'FederatedUser' | 'Operator';

/**
 * Who is calling, as every strategy reports it: never a database row.
 * Secrets (tokens, passwords, secret keys) are never part of it.
 */
export interface AuthContext {
  method: AuthMethod;
  /** The account acted in; null for platform operators. */
  accountId: string | null;
  principal: {
    kind: PrincipalKind;
    /** Internal id of the user row / operator row. */
    id: string;
    arn: string;
    /** IAM user name, role session name, operator name; "root" for root. */
    name: string;
    /** aws:userid (AIDA… for users, the account ID for root). */
    userId: string;
  };
  mfa: { present: boolean; authenticatedAt?: Date };
  /** Session policies that further restrict this context (STS sessions). */
  sessionPolicies?: PolicyDocument[];
  accessKeyId?: string;
  /** Present when the credentials are temporary (issued through STS). */
  session?: SessionInfo;
  consoleSessionId?: string;
  /**
   * A console session that may only do one thing first: enroll an MFA device
   * (MFA is required and the principal has none) or change an expired or
   * administrator-reset password.
   */
  restriction?: 'mfa-enrollment' | 'password-change';
  tags: Record<string, string>;
}

/** The request fields the auth layer reads, whichever transport carried them. */
export interface ClientInfo {
  requestId: string;
  sourceIp: string;
  userAgent?: string;
}

/** What a temporary credential carries beyond its principal. */
export interface SessionInfo {
  type: 'SessionToken' | 'AssumedRole' | 'FederatedUser';
  issuedAt: Date;
  expiresAt: Date;
  /** Role sessions: the role's id. */
  roleId?: string;
  /** Role sessions: the role ARN (arn:aws:iam::<acct>:role/<path><name>). */
  roleArn?: string;
  /** Session tokens and federation: the long-term user behind it (its row id). */
  baseUserId?: string;
  baseUserKind?: 'Root' | 'IAMUser';
  sourceIdentity?: string;
  /** The long-term identity at the start of the chain. */
  sourceArn: string;
  /** Obtained with a role session (role chaining: at most one hour). */
  chained: boolean;
}
