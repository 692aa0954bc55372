/**
 * AWS-managed-style policies built into the broker (ARNs in the `aws`
 * namespace, like arn:aws:iam::aws:policy/AdministratorAccess). They live in
 * code, not the database: every account sees the same, current version.
 */
export interface BuiltinPolicy {
  arn: string;
  name: string;
  description: string;
  document: string;
}

const doc = (statements: object[]) => JSON.stringify({ Version: '2012-10-17', Statement: statements });

/** The caller's own user ARN, with or without a path (AWS's own policy misses users with a path). */
const OWN_USER = ['arn:aws:iam::*:user/${aws:username}', 'arn:aws:iam::*:user/*/${aws:username}'];

export const BUILTIN_POLICIES: BuiltinPolicy[] = [
  {
    arn: 'arn:aws:iam::aws:policy/AdministratorAccess',
    name: 'AdministratorAccess',
    description: 'Full access to everything in the account.',
    document: doc([{ Effect: 'Allow', Action: '*', Resource: '*' }]),
  },
  {
    arn: 'arn:aws:iam::aws:policy/IAMFullAccess',
    name: 'IAMFullAccess',
    description: 'Full access to IAM (users, groups, policies, keys).',
    document: doc([{ Effect: 'Allow', Action: 'iam:*', Resource: '*' }]),
  },
  {
    arn: 'arn:aws:iam::aws:policy/ReadOnlyAccess',
    name: 'ReadOnlyAccess',
    description: 'Read everything in the account, change nothing.',
    document: doc([
      {
        Effect: 'Allow',
        Action: ['iam:Get*', 'iam:List*', 'iam:GenerateCredentialReport', 'sts:GetCallerIdentity', 'audit:Get*', 'audit:List*', 'audit:Read*'],
        Resource: '*',
      },
    ]),
  },
  {
    arn: 'arn:aws:iam::aws:policy/AuditReadOnlyAccess',
    name: 'AuditReadOnlyAccess',
    description: "Read, verify and export the account's audit records (GraphQL auditEvents, auditEvent, auditSummary, verifyAuditChain; REST export, digests, retention setting).",
    document: doc([{ Effect: 'Allow', Action: ['audit:ReadEvents', 'audit:VerifyChain', 'audit:Export', 'audit:Get*', 'audit:List*'], Resource: '*' }]),
  },
  {
    arn: 'arn:aws:iam::aws:policy/IAMUserChangePassword',
    name: 'IAMUserChangePassword',
    description: 'Lets a user change their own console password.',
    document: doc([
      { Effect: 'Allow', Action: 'iam:ChangePassword', Resource: OWN_USER },
      { Effect: 'Allow', Action: 'iam:GetAccountPasswordPolicy', Resource: '*' },
    ]),
  },
  {
    arn: 'arn:aws:iam::aws:policy/ManageOwnCredentials',
    name: 'ManageOwnCredentials',
    description: 'Lets a user manage their own password, access keys and MFA devices.',
    document: doc([
      { Effect: 'Allow', Action: ['iam:GetAccountPasswordPolicy', 'iam:GetAccountSummary'], Resource: '*' },
      {
        Effect: 'Allow',
        Action: [
          'iam:GetUser',
          'iam:ChangePassword',
          'iam:GetLoginProfile',
          'iam:CreateAccessKey',
          'iam:ListAccessKeys',
          'iam:UpdateAccessKey',
          'iam:DeleteAccessKey',
          'iam:GetAccessKeyLastUsed',
          'iam:ListMFADevices',
          'iam:CreateVirtualMFADevice',
          'iam:EnableMFADevice',
          'iam:DeactivateMFADevice',
          'iam:DeleteVirtualMFADevice',
        ],
        Resource: OWN_USER,
      },
    ]),
  },
];

export const BUILTIN_BY_ARN = new Map(BUILTIN_POLICIES.map((p) => [p.arn, p]));
