import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { AuthContext, ClientInfo } from '../../common/auth/auth-context.js';
import { DomainError } from '../../common/errors/domain-error.js';
import { ErrorCode } from '../../common/errors/error-codes.js';
import { parsePolicyDocument, policyDocumentSize, PolicyValidationError, type PolicyPrincipal } from '../../common/policy/policy-document.js';
import { isValidIamName } from '../../common/validation/iam-names.js';
import { PrismaService } from '../../db/prisma.service.js';
import { AccountsRepository } from '../accounts/accounts.repository.js';
import { actorOf, AuditService } from '../audit/audit.service.js';
import { PoliciesRepository } from '../policies/policies.repository.js';
import { validatePath } from '../users/users.service.js';
import { MAX_MAX_SESSION_DURATION, MIN_MAX_SESSION_DURATION, type TagsInput } from './dto/roles.dto.js';
import { roleView } from './role.views.js';
import { RolesRepository, type ClaimMapping, type RolePatch, type RoleRow } from './roles.repository.js';

/**
 * Trust policy size limit. AWS's default quota (ACLSizePerRole) is 2048 characters and can be
 * raised to 4096; the broker allows the raised quota. Counted as AWS counts, without whitespace.
 */
export const MAX_TRUST_POLICY = 4096;
export const MAX_ROLE_TAGS = 50;
export const MAX_MAPPED_SESSION_TAGS = 50;
export const MAX_DESCRIPTION = 1000;

/** The only actions a trust policy may name (wildcards allowed as long as they match one of them). */
export const TRUST_POLICY_ACTIONS = ['sts:AssumeRole', 'sts:AssumeRoleWithWebIdentity', 'sts:TagSession', 'sts:SetSourceIdentity'] as const;

const TAG_KEY_RE = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u;
const TAG_VALUE_RE = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{0,256}$/u;
/** A token claim name: 1-128 printable ASCII characters, no leading or trailing space. */
const CLAIM_NAME_RE = /^(?=.{1,128}$)[\x21-\x7E](?:[\x20-\x7E]*[\x21-\x7E])?$/;
/** AWS's Description pattern. */
const DESCRIPTION_RE = /^[\t\n\r\x20-\x7E\xA1-\xFF]*$/;
/** arn:aws:iam::<12 digits>:role/<optional path/><name>. */
const AWS_ROLE_ARN_RE = /^arn:aws:iam::(\d{12}):role\/(?:[\x21-\x7E]*\/)?[\w+=,.@-]{1,64}$/;
/** arn:aws:iam::<acct>:oidc-provider/<host[:port]/path>, as OIDC providers are named (no trailing slash). */
const OIDC_PROVIDER_ARN_RE = /^arn:aws:iam::(\d{12}):oidc-provider\/[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::\d{1,5})?(?:\/[^/\s]+)*$/;

const isPlainObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

export function validateRoleName(name: string): void {
  if (!isValidIamName(name)) throw DomainError.validation('Role name must be 1-64 characters of letters, digits and +=,.@_-.');
}

export function validateMaxSessionDuration(seconds: number): void {
  if (!Number.isInteger(seconds) || seconds < MIN_MAX_SESSION_DURATION || seconds > MAX_MAX_SESSION_DURATION) {
    throw DomainError.validation(`maxSessionDuration must be a whole number of seconds from ${MIN_MAX_SESSION_DURATION} to ${MAX_MAX_SESSION_DURATION}.`);
  }
}

export function validateDescription(description: string): void {
  if (description.length > MAX_DESCRIPTION || !DESCRIPTION_RE.test(description)) {
    throw DomainError.validation(`Description must be at most ${MAX_DESCRIPTION} printable characters.`);
  }
}

function malformed(message: string): never {
  throw new DomainError(ErrorCode.MalformedPolicyDocument, `The trust policy is malformed: ${message}.`);
}

/** Whether an action pattern of a trust policy (e.g. "sts:AssumeRole", "sts:*", "sts:Assume*") names one of TRUST_POLICY_ACTIONS. */
function isTrustAction(pattern: string): boolean {
  const colon = pattern.indexOf(':');
  if (colon < 0 || pattern.slice(0, colon).toLowerCase() !== 'sts') return false;
  // The parser allows only [A-Za-z0-9*?] after the colon, so this regex is safe to build.
  const re = new RegExp(`^${pattern.slice(colon + 1).replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');
  return TRUST_POLICY_ACTIONS.some((a) => re.test(a.slice('sts:'.length)));
}

function checkFederated(principal: PolicyPrincipal | undefined, accountId: string, where: string): void {
  if (!principal || principal === '*') return;
  for (const id of principal.Federated ?? []) {
    const m = OIDC_PROVIDER_ARN_RE.exec(id);
    if (!m) malformed(`${where}: a Federated principal must be an OIDC provider ARN (arn:aws:iam::${accountId}:oidc-provider/<host/path>), got ${JSON.stringify(id.slice(0, 80))}`);
    if (m[1] !== accountId) malformed(`${where}: a Federated principal must be an OIDC provider of this account (${accountId})`);
  }
}

/**
 * Validates a trust policy (JSON text or object) for a role of `accountId` and returns the text to
 * store (compact JSON of exactly what was validated). MalformedPolicyDocument when it does not
 * parse, or a statement has no Principal, has a Resource, names an action other than the STS
 * actions a trust policy governs, or trusts a Federated principal other than one of the account's
 * OIDC providers (which need not exist yet). LimitExceeded when it is too large.
 */
export function validateTrustPolicy(accountId: string, input: unknown): string {
  let raw: unknown;
  if (typeof input === 'string') {
    if (policyDocumentSize(input) > MAX_TRUST_POLICY) throw new DomainError(ErrorCode.LimitExceeded, `Cannot exceed quota for ACLSizePerRole: ${MAX_TRUST_POLICY}.`);
    try {
      raw = JSON.parse(input.charCodeAt(0) === 0xfeff ? input.slice(1) : input);
    } catch {
      malformed('it is not valid JSON');
    }
  } else if (isPlainObject(input)) {
    raw = input;
  } else {
    malformed('it must be a JSON object or its JSON text');
  }
  const text = JSON.stringify(raw);
  if (text === undefined) malformed('it must be a JSON object');
  if (text.length > MAX_TRUST_POLICY) throw new DomainError(ErrorCode.LimitExceeded, `Cannot exceed quota for ACLSizePerRole: ${MAX_TRUST_POLICY}.`);
  let doc;
  try {
    doc = parsePolicyDocument(text, { kind: 'trust' });
  } catch (e) {
    if (e instanceof PolicyValidationError) malformed(e.message);
    throw e;
  }
  doc.Statement.forEach((st, i) => {
    const where = doc.Statement.length === 1 ? 'Statement' : `Statement[${i}]`;
    if (st.Resource || st.NotResource) malformed(`${where} has prohibited field ${st.Resource ? 'Resource' : 'NotResource'}`);
    if (st.NotAction) malformed(`${where} must list its actions in Action (NotAction is not supported in a trust policy)`);
    for (const action of st.Action ?? []) {
      if (!isTrustAction(action)) malformed(`${where}.Action ${JSON.stringify(action.slice(0, 80))} is not one of ${TRUST_POLICY_ACTIONS.join(', ')}`);
    }
    checkFederated(st.Principal, accountId, `${where}.Principal`);
    checkFederated(st.NotPrincipal, accountId, `${where}.NotPrincipal`);
  });
  return text;
}

/** sha256 of a trust policy, for audit records (the document itself may be large). */
export const trustPolicyDigest = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * Validates a web identity claim mapping: `{ sessionTags?: { <tag key>: <claim> }, sourceIdentity?: <claim> }`.
 * Returns a clean copy to store.
 */
export function validateClaimMapping(input: unknown): ClaimMapping {
  if (!isPlainObject(input)) throw DomainError.validation('claimMapping must be an object.');
  for (const key of Object.keys(input)) {
    if (key !== 'sessionTags' && key !== 'sourceIdentity') throw DomainError.validation(`claimMapping has unknown field ${JSON.stringify(key.slice(0, 64))} (expected sessionTags, sourceIdentity).`);
  }
  const out: ClaimMapping = {};
  if (input.sessionTags !== undefined) {
    if (!isPlainObject(input.sessionTags)) throw DomainError.validation('claimMapping.sessionTags must be an object of session tag keys to claim names.');
    const entries = Object.entries(input.sessionTags);
    if (entries.length > MAX_MAPPED_SESSION_TAGS) throw DomainError.validation(`claimMapping.sessionTags can map at most ${MAX_MAPPED_SESSION_TAGS} tags.`);
    const seen = new Set<string>();
    for (const [key, claim] of entries) {
      if (!TAG_KEY_RE.test(key) || key.toLowerCase().startsWith('aws:')) {
        throw DomainError.validation(`claimMapping.sessionTags: tag key ${JSON.stringify(key.slice(0, 128))} is not valid (1-128 letters, digits, spaces and _.:/=+-@, not starting with aws:).`);
      }
      if (seen.has(key.toLowerCase())) throw DomainError.validation(`claimMapping.sessionTags: tag key ${JSON.stringify(key)} is repeated (tag keys ignore case).`);
      seen.add(key.toLowerCase());
      if (typeof claim !== 'string' || !CLAIM_NAME_RE.test(claim)) throw DomainError.validation(`claimMapping.sessionTags.${key} must be a claim name (1-128 printable characters).`);
    }
    out.sessionTags = Object.fromEntries(entries as [string, string][]);
  }
  if (input.sourceIdentity !== undefined) {
    if (typeof input.sourceIdentity !== 'string' || !CLAIM_NAME_RE.test(input.sourceIdentity)) {
      throw DomainError.validation('claimMapping.sourceIdentity must be a claim name (1-128 printable characters).');
    }
    out.sourceIdentity = input.sourceIdentity;
  }
  return out;
}

/** Tags as a record, from `{k: v}` or `[{Key, Value}]`, with AWS's rules for keys, values and count. */
export function validateRoleTags(input: TagsInput | undefined): Record<string, string> {
  const entries: [string, string][] = Array.isArray(input) ? input.map((t) => [t.Key, t.Value]) : Object.entries(input ?? {});
  if (entries.length > MAX_ROLE_TAGS) throw new DomainError(ErrorCode.LimitExceeded, `Cannot exceed quota for TagsPerRole: ${MAX_ROLE_TAGS}.`);
  const seen = new Set<string>();
  for (const [k, v] of entries) {
    if (typeof k !== 'string' || !TAG_KEY_RE.test(k) || k.toLowerCase().startsWith('aws:')) throw DomainError.validation(`Tag key ${JSON.stringify(String(k).slice(0, 128))} is not valid.`);
    if (typeof v !== 'string' || !TAG_VALUE_RE.test(v)) throw DomainError.validation(`Tag value for ${JSON.stringify(k)} is not valid.`);
    if (seen.has(k.toLowerCase())) throw DomainError.validation(`Duplicate tag key ${JSON.stringify(k)} (tag keys ignore case).`);
    seen.add(k.toLowerCase());
  }
  return Object.fromEntries(entries);
}

/** IAM roles: CRUD and trust policies. Their permission policies are PoliciesService's (owner type ROLE). */
@Injectable()
export class RolesService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly roles: RolesRepository,
    private readonly policies: PoliciesRepository,
    private readonly accounts: AccountsRepository,
    private readonly audit: AuditService,
  ) {}

  async require(accountId: string, roleName: string): Promise<RoleRow> {
    const r = await this.roles.findByName(accountId, roleName);
    if (!r) throw DomainError.noSuchEntity(`The role with name ${roleName.slice(0, 64)}`);
    return r;
  }

  /**
   * Upstream mode: an AWS role ARN of the AWS account this account is linked to
   * (operators link it with PUT /v1/accounts/{id}/aws-link).
   */
  private async validateAwsRoleArn(accountId: string, arn: string): Promise<void> {
    const m = AWS_ROLE_ARN_RE.exec(arn);
    if (!m || arn.length > 2048) throw DomainError.validation('awsRoleArn must be an AWS role ARN: arn:aws:iam::<12-digit account>:role/<path/><name>.');
    const linked = (await this.accounts.findById(accountId))?.awsAccountId;
    if (!linked) throw DomainError.validation('awsRoleArn needs an account linked to AWS: link it first (operators: PUT /v1/accounts/{id}/aws-link).');
    if (m[1] !== linked) throw DomainError.validation(`awsRoleArn must be a role of the linked AWS account ${linked}.`);
  }

  async create(
    auth: AuthContext,
    accountId: string,
    input: {
      roleName: string;
      path?: string;
      description?: string;
      maxSessionDuration?: number;
      assumeRolePolicyDocument: unknown;
      tags?: TagsInput;
      claimMapping?: unknown;
      awsRoleArn?: string;
    },
    client: ClientInfo,
  ) {
    validateRoleName(input.roleName);
    const path = input.path ?? '/';
    validatePath(path);
    // (The DTO's @IsOptional lets null through: null means "not given".)
    if (input.description !== undefined && input.description !== null) validateDescription(input.description);
    const maxSessionDuration = input.maxSessionDuration ?? MIN_MAX_SESSION_DURATION;
    validateMaxSessionDuration(maxSessionDuration);
    const trustPolicy = validateTrustPolicy(accountId, input.assumeRolePolicyDocument);
    const claimMapping = input.claimMapping === undefined ? {} : validateClaimMapping(input.claimMapping);
    const tags = validateRoleTags(input.tags);
    if (input.awsRoleArn !== undefined) await this.validateAwsRoleArn(accountId, input.awsRoleArn);

    const r = await this.prisma.transaction(async (tx) => {
      const r = await this.roles.create(tx, accountId, {
        name: input.roleName,
        path,
        description: input.description || null,
        maxSessionDuration,
        trustPolicy,
        claimMapping,
        awsRoleArn: input.awsRoleArn ?? null,
        tags,
      });
      await this.audit.append(tx, {
        chain: accountId,
        action: 'iam:CreateRole',
        outcome: 'success',
        actor: actorOf(auth),
        resourceArn: r.arn,
        client,
        details: { roleName: r.name, path, maxSessionDuration, trustPolicySha256: trustPolicyDigest(trustPolicy), awsRoleArn: r.awsRoleArn, tagKeys: Object.keys(tags) },
      });
      return r;
    });
    return roleView(r);
  }

  async list(accountId: string, opts: { pathPrefix?: string; marker?: string; maxItems?: number }) {
    if (opts.pathPrefix !== undefined && !/^\/[\x21-\x7F]{0,511}$/.test(opts.pathPrefix)) throw DomainError.validation('pathPrefix must start with "/" (1-512 printable ASCII characters).');
    if (opts.marker !== undefined && !isValidIamName(opts.marker)) throw DomainError.validation('marker is not valid: pass the marker of the previous page.');
    const maxItems = Math.min(Math.max(opts.maxItems ?? 100, 1), 1000);
    const page = await this.roles.list(accountId, { ...opts, maxItems });
    return { roles: page.items.map(roleView), isTruncated: !!page.marker, marker: page.marker };
  }

  async get(accountId: string, roleName: string) {
    return roleView(await this.require(accountId, roleName));
  }

  async update(
    auth: AuthContext,
    accountId: string,
    roleName: string,
    input: { description?: string; maxSessionDuration?: number; claimMapping?: unknown; awsRoleArn?: string | null },
    client: ClientInfo,
  ) {
    const patch: RolePatch = {};
    if (input.description !== undefined) {
      // null or "" clears the description.
      if (input.description !== null) validateDescription(input.description);
      patch.description = input.description || null;
    }
    if (input.maxSessionDuration !== undefined) {
      validateMaxSessionDuration(input.maxSessionDuration);
      patch.maxSessionDuration = input.maxSessionDuration;
    }
    if (input.claimMapping !== undefined) patch.claimMapping = validateClaimMapping(input.claimMapping);
    if (input.awsRoleArn !== undefined) {
      if (input.awsRoleArn !== null) await this.validateAwsRoleArn(accountId, input.awsRoleArn);
      patch.awsRoleArn = input.awsRoleArn;
    }
    const before = await this.require(accountId, roleName);
    const r = await this.prisma.transaction(async (tx) => {
      const r = await this.roles.update(tx, accountId, before.id, patch);
      await this.audit.append(tx, {
        chain: accountId,
        action: 'iam:UpdateRole',
        outcome: 'success',
        actor: actorOf(auth),
        resourceArn: before.arn,
        client,
        details: {
          roleName: before.name,
          changed: Object.keys(patch),
          ...(patch.maxSessionDuration !== undefined ? { maxSessionDuration: patch.maxSessionDuration } : {}),
          ...(patch.awsRoleArn !== undefined ? { awsRoleArn: patch.awsRoleArn, previousAwsRoleArn: before.awsRoleArn } : {}),
        },
      });
      return r;
    });
    return roleView(r);
  }

  /** UpdateAssumeRolePolicy: replaces the trust policy. */
  async updateTrustPolicy(auth: AuthContext, accountId: string, roleName: string, document: unknown, client: ClientInfo) {
    const trustPolicy = validateTrustPolicy(accountId, document);
    const before = await this.require(accountId, roleName);
    const r = await this.prisma.transaction(async (tx) => {
      const r = await this.roles.update(tx, accountId, before.id, { trustPolicy });
      await this.audit.append(tx, {
        chain: accountId,
        action: 'iam:UpdateAssumeRolePolicy',
        outcome: 'success',
        actor: actorOf(auth),
        resourceArn: before.arn,
        client,
        details: { roleName: before.name, trustPolicySha256: trustPolicyDigest(trustPolicy), previousTrustPolicySha256: trustPolicyDigest(before.trustPolicy) },
      });
      return r;
    });
    return roleView(r);
  }

  /** Like IAM: only a role with no attached managed policies and no inline policies can be deleted. */
  async delete(auth: AuthContext, accountId: string, roleName: string, client: ClientInfo) {
    const r = await this.require(accountId, roleName);
    await this.prisma.transaction(async (tx) => {
      const attached = (await this.policies.listAttached(accountId, 'ROLE', r.id, tx)).length;
      const inline = await this.policies.countInline(accountId, 'ROLE', r.id, tx);
      if (attached > 0 || inline > 0) throw new DomainError(ErrorCode.DeleteConflict, 'Cannot delete entity, must detach all policies first.');
      await this.roles.delete(tx, accountId, r.id);
      await this.audit.append(tx, { chain: accountId, action: 'iam:DeleteRole', outcome: 'success', actor: actorOf(auth), resourceArn: r.arn, client, details: { roleName: r.name } });
    });
  }
}
