/**
 * STS results in AWS's shapes (field names as in the STS API), shared by every
 * transport: REST answers them as JSON, the AWS Query transport as XML.
 */
export interface StsCredentials {
  AccessKeyId: string;
  /** Secret: in this response only. */
  SecretAccessKey: string;
  /** Secret: in this response only. */
  SessionToken: string;
  Expiration: Date;
}

export interface GetSessionTokenResult {
  Credentials: StsCredentials;
}

export interface AssumeRoleResult {
  Credentials: StsCredentials;
  AssumedRoleUser: { AssumedRoleId: string; Arn: string };
  PackedPolicySize: number;
  SourceIdentity?: string;
}

export interface AssumeRoleWithWebIdentityResult extends AssumeRoleResult {
  SubjectFromWebIdentityToken: string;
  Provider: string;
  Audience: string;
}

export interface GetFederationTokenResult {
  Credentials: StsCredentials;
  FederatedUser: { FederatedUserId: string; Arn: string };
  PackedPolicySize: number;
}

export interface CallerIdentity {
  UserId: string;
  Account: string;
  Arn: string;
}
