import { Injectable } from '@nestjs/common';
import type { QueryParams } from '../../../common/aws-query/query-params.js';
import { QueryProtocolError } from '../../../common/aws-query/query-error.js';
import { DomainError } from '../../../common/errors/domain-error.js';
import { ErrorCode } from '../../../common/errors/error-codes.js';
import { StsService } from '../../sts/sts.service.js';
import type { StsCredentials } from '../../sts/sts.types.js';
import type { AuthedQueryRequest, QueryAction, QueryActionSet, QueryRequest, QueryResult } from '../query-action.js';

/**
 * The STS Query actions: form parameters → StsService's AWS-named input (lists as arrays:
 * `PolicyArns.member.N.arn`, `Tags.member.N.Key/Value`, `TransitiveTagKeys.member.N`), its
 * results → the response members. StsService validates and decides (trust policies, the caller's
 * policies, durations, audit), so nothing is checked twice here and `authorize` is not used.
 */
@Injectable()
export class StsQueryActions implements QueryActionSet {
  readonly actions: QueryAction[];

  constructor(private readonly sts: StsService) {
    this.actions = [
      {
        service: 'sts',
        name: 'GetCallerIdentity',
        run: async (req) => {
          const id = this.sts.callerIdentity(authed(req).auth);
          return { UserId: id.UserId, Account: id.Account, Arn: id.Arn };
        },
      },
      {
        service: 'sts',
        name: 'GetSessionToken',
        run: async (req) => {
          const r = await this.sts.getSessionToken(authed(req).auth, scalars(req.params, ['DurationSeconds', 'SerialNumber', 'TokenCode']), req.client);
          return { Credentials: credentials(r.Credentials) };
        },
      },
      {
        service: 'sts',
        name: 'AssumeRole',
        run: async (req) => {
          const p = req.params;
          const input = {
            ...scalars(p, ['RoleArn', 'RoleSessionName', 'Policy', 'DurationSeconds', 'ExternalId', 'SerialNumber', 'TokenCode', 'SourceIdentity']),
            ...policyArns(p),
            ...tags(p),
            ...listOf(p, 'TransitiveTagKeys'),
          };
          const r = await this.sts.assumeRole(authed(req).auth, input, req.client);
          return {
            Credentials: credentials(r.Credentials),
            AssumedRoleUser: { AssumedRoleId: r.AssumedRoleUser.AssumedRoleId, Arn: r.AssumedRoleUser.Arn },
            PackedPolicySize: r.PackedPolicySize,
            SourceIdentity: r.SourceIdentity,
          };
        },
      },
      {
        service: 'sts',
        name: 'GetFederationToken',
        run: async (req) => {
          const p = req.params;
          const input = { ...scalars(p, ['Name', 'Policy', 'DurationSeconds']), ...policyArns(p), ...tags(p) };
          const r = await this.sts.getFederationToken(authed(req).auth, input, req.client);
          return {
            Credentials: credentials(r.Credentials),
            FederatedUser: { FederatedUserId: r.FederatedUser.FederatedUserId, Arn: r.FederatedUser.Arn },
            PackedPolicySize: r.PackedPolicySize,
          };
        },
      },
      {
        service: 'sts',
        name: 'AssumeRoleWithWebIdentity',
        anonymous: true,
        run: async (req) => {
          const p = req.params;
          const input = { ...scalars(p, ['RoleArn', 'RoleSessionName', 'WebIdentityToken', 'ProviderId', 'Policy', 'DurationSeconds']), ...policyArns(p) };
          try {
            const r = await this.sts.assumeRoleWithWebIdentity(input, req.client);
            return {
              SubjectFromWebIdentityToken: r.SubjectFromWebIdentityToken,
              AssumedRoleUser: { AssumedRoleId: r.AssumedRoleUser.AssumedRoleId, Arn: r.AssumedRoleUser.Arn },
              Credentials: credentials(r.Credentials),
              Provider: r.Provider,
              Audience: r.Audience,
              PackedPolicySize: r.PackedPolicySize,
              SourceIdentity: r.SourceIdentity,
            };
          } catch (e) {
            // Here ExpiredToken can only be the web identity token's: STS's ExpiredTokenException (400).
            if (e instanceof DomainError && e.code === ErrorCode.ExpiredToken) throw new QueryProtocolError(400, 'ExpiredTokenException', e.message);
            throw e;
          }
        },
      },
    ];
  }
}

function authed(req: QueryRequest): AuthedQueryRequest {
  // The dispatcher authenticates every action that is not anonymous.
  if (!req.auth) throw QueryProtocolError.missingAuthenticationToken();
  return req as AuthedQueryRequest;
}

function credentials(c: StsCredentials): QueryResult {
  return { AccessKeyId: c.AccessKeyId, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken, Expiration: c.Expiration };
}

/** The named scalar parameters that are present (absent ones stay absent: StsService applies the defaults). */
function scalars(p: QueryParams, names: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const n of names) {
    const v = p.str(n);
    if (v !== undefined) out[n] = v;
  }
  return out;
}

function policyArns(p: QueryParams): { PolicyArns?: Array<{ arn?: string }> } {
  const l = p.structList('PolicyArns', ['arn'] as const);
  return l ? { PolicyArns: l } : {};
}

function tags(p: QueryParams): { Tags?: Array<{ Key?: string; Value?: string }> } {
  const l = p.structList('Tags', ['Key', 'Value'] as const);
  return l ? { Tags: l } : {};
}

function listOf(p: QueryParams, name: string): Record<string, string[]> {
  const l = p.list(name);
  return l ? { [name]: l } : {};
}
