import { Injectable } from '@nestjs/common';
import { groupArn, policyArn, userArn } from '../../common/arn.js';
import type { AuthContext, ClientInfo } from '../../common/auth/auth-context.js';
import { DomainError } from '../../common/errors/domain-error.js';
import { ErrorCode } from '../../common/errors/error-codes.js';
import { parsePolicyDocument, PolicyValidationError } from '../../common/policy/policy-document.js';
import { isValidPolicyName } from '../../common/validation/iam-names.js';
import { PrismaService } from '../../db/prisma.service.js';
import { actorOf, AuditService } from '../audit/audit.service.js';
import { GroupsRepository } from '../groups/groups.repository.js';
import { RolesRepository } from '../roles/roles.repository.js';
import { validatePath } from '../users/users.service.js';
import { UsersRepository } from '../users/users.repository.js';
import { BUILTIN_BY_ARN, BUILTIN_POLICIES } from './builtin-policies.js';
import { PoliciesRepository, type PolicyRow, type PrincipalType } from './policies.repository.js';

/** IAM quotas. */
export const MAX_MANAGED_PER_PRINCIPAL = 10;
export const MAX_POLICY_DOCUMENT = 6144;
export const MAX_INLINE_DOCUMENT = 2048;

export type PolicyOwner = { type: 'USER' | 'GROUP' | 'ROLE'; name: string };

const OWNER_NOUN = { USER: 'User', GROUP: 'Group', ROLE: 'Role' } as const;

function validateDocument(text: string, max: number): string {
  if (text.length > max) throw new DomainError(ErrorCode.LimitExceeded, `Policy document must be at most ${max} characters.`);
  try {
    parsePolicyDocument(text);
  } catch (e) {
    if (e instanceof PolicyValidationError) throw new DomainError('ValidationError', `MalformedPolicyDocument: ${e.message}`);
    throw e;
  }
  return text;
}

/** Text PostgreSQL can hold: a NUL byte cannot be in any stored name or ARN, so such input names nothing. */
const storable = (s: string) => !s.includes('\0');

function managedView(p: PolicyRow, attachmentCount?: number) {
  return {
    policyName: p.name,
    policyId: p.id,
    arn: p.arn,
    path: p.path,
    description: p.description,
    document: JSON.parse(p.document),
    ...(attachmentCount !== undefined ? { attachmentCount } : {}),
    createDate: p.createdAt.toISOString(),
    updateDate: p.updatedAt.toISOString(),
  };
}

/** Managed (built-in and customer) and inline policies, and their attachment to users, groups and roles. */
@Injectable()
export class PoliciesService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly repo: PoliciesRepository,
    private readonly users: UsersRepository,
    private readonly groups: GroupsRepository,
    private readonly roles: RolesRepository,
    private readonly audit: AuditService,
  ) {}

  async create(auth: AuthContext, accountId: string, input: { policyName: string; path?: string; description?: string; document: string }, client: ClientInfo) {
    if (!isValidPolicyName(input.policyName)) throw DomainError.validation('Policy name must be 1-128 characters of letters, digits and +=,.@_-.');
    const path = input.path ?? '/';
    validatePath(path);
    validateDocument(input.document, MAX_POLICY_DOCUMENT);
    const p = await this.prisma.transaction(async (tx) => {
      const p = await this.repo.createManaged(tx, accountId, { name: input.policyName, path, description: input.description, document: input.document });
      await this.audit.append(tx, { chain: accountId, action: 'iam:CreatePolicy', outcome: 'success', actor: actorOf(auth), resourceArn: p.arn, client });
      return p;
    });
    return managedView(p, 0);
  }

  async list(accountId: string, scope: 'All' | 'AWS' | 'Local' = 'All') {
    const [managed, counts] = scope === 'AWS' ? [[], new Map<string, number>()] : await Promise.all([this.repo.listManaged(accountId), this.repo.attachmentCounts(accountId)]);
    const local = managed.map((p) => managedView(p, counts.get(p.arn) ?? 0));
    const aws = scope === 'Local' ? [] : BUILTIN_POLICIES.map((b) => ({ policyName: b.name, arn: b.arn, path: '/', description: b.description, document: JSON.parse(b.document) }));
    return { policies: [...aws, ...local] };
  }

  async get(accountId: string, name: string) {
    const p = await this.repo.findManagedByName(accountId, name);
    if (!p) throw DomainError.noSuchEntity(`Policy ${policyArn(accountId, '/', name)}`);
    return managedView(p, await this.repo.countAttachments(accountId, p.arn));
  }

  async updateDocument(auth: AuthContext, accountId: string, name: string, document: string, client: ClientInfo) {
    validateDocument(document, MAX_POLICY_DOCUMENT);
    const p = await this.repo.findManagedByName(accountId, name);
    if (!p) throw DomainError.noSuchEntity(`Policy ${policyArn(accountId, '/', name)}`);
    await this.prisma.transaction(async (tx) => {
      await this.repo.updateManagedDocument(tx, accountId, p.id, document);
      await this.audit.append(tx, { chain: accountId, action: 'iam:CreatePolicyVersion', outcome: 'success', actor: actorOf(auth), resourceArn: p.arn, client });
    });
    return this.get(accountId, name);
  }

  async delete(auth: AuthContext, accountId: string, name: string, client: ClientInfo) {
    const p = await this.repo.findManagedByName(accountId, name);
    if (!p) throw DomainError.noSuchEntity(`Policy ${policyArn(accountId, '/', name)}`);
    await this.prisma.transaction(async (tx) => {
      if ((await this.repo.countAttachments(accountId, p.arn, tx)) > 0) throw new DomainError(ErrorCode.DeleteConflict, 'Cannot delete a policy attached to entities.');
      await this.repo.deleteManaged(tx, accountId, p.id);
      await this.audit.append(tx, { chain: accountId, action: 'iam:DeletePolicy', outcome: 'success', actor: actorOf(auth), resourceArn: p.arn, client });
    });
  }

  /** Resolves a user, group or role in the account to its id and ARN. */
  private async owner(accountId: string, o: PolicyOwner): Promise<{ type: PrincipalType; id: string; arn: string }> {
    if (o.type === 'USER') {
      const u = await this.users.findByName(accountId, o.name);
      if (!u) throw DomainError.noSuchEntity(`The user with name ${o.name}`);
      return { type: 'USER', id: u.id, arn: userArn(accountId, u.path, u.name!) };
    }
    if (o.type === 'ROLE') {
      const r = await this.roles.findByName(accountId, o.name);
      if (!r) throw DomainError.noSuchEntity(`The role with name ${o.name}`);
      return { type: 'ROLE', id: r.id, arn: r.arn };
    }
    const g = await this.groups.findByName(accountId, o.name);
    if (!g) throw DomainError.noSuchEntity(`The group with name ${o.name}`);
    return { type: 'GROUP', id: g.id, arn: groupArn(accountId, g.path, g.name) };
  }

  private auditAction(o: PolicyOwner, verb: string) {
    return `iam:${verb}${OWNER_NOUN[o.type]}Policy`;
  }

  async attach(auth: AuthContext, accountId: string, o: PolicyOwner, arn: string, client: ClientInfo) {
    const owner = await this.owner(accountId, o);
    if (!BUILTIN_BY_ARN.has(arn) && !(storable(arn) && (await this.repo.findManagedByArn(accountId, arn)))) throw DomainError.noSuchEntity(`Policy ${arn}`);
    await this.prisma.transaction(async (tx) => {
      const current = await this.repo.listAttached(accountId, owner.type, owner.id, tx);
      if (!current.includes(arn) && current.length >= MAX_MANAGED_PER_PRINCIPAL) {
        throw new DomainError(ErrorCode.LimitExceeded, `Cannot exceed quota for PoliciesPer${OWNER_NOUN[o.type]}: ${MAX_MANAGED_PER_PRINCIPAL}.`);
      }
      await this.repo.attach(tx, accountId, owner.type, owner.id, arn);
      await this.audit.append(tx, { chain: accountId, action: this.auditAction(o, 'Attach'), outcome: 'success', actor: actorOf(auth), resourceArn: owner.arn, client, details: { policyArn: arn } });
    });
  }

  async detach(auth: AuthContext, accountId: string, o: PolicyOwner, arn: string, client: ClientInfo) {
    const owner = await this.owner(accountId, o);
    if (!storable(arn)) throw DomainError.noSuchEntity(`Policy ${arn} attached to ${o.name}`);
    await this.prisma.transaction(async (tx) => {
      if (!(await this.repo.detach(tx, accountId, owner.type, owner.id, arn))) throw DomainError.noSuchEntity(`Policy ${arn} attached to ${o.name}`);
      await this.audit.append(tx, { chain: accountId, action: this.auditAction(o, 'Detach'), outcome: 'success', actor: actorOf(auth), resourceArn: owner.arn, client, details: { policyArn: arn } });
    });
  }

  async listAttached(accountId: string, o: PolicyOwner) {
    const owner = await this.owner(accountId, o);
    const arns = await this.repo.listAttached(accountId, owner.type, owner.id);
    return { attachedPolicies: arns.map((arn) => ({ policyArn: arn, policyName: arn.slice(arn.lastIndexOf('/') + 1) })) };
  }

  async putInline(auth: AuthContext, accountId: string, o: PolicyOwner, name: string, document: string, client: ClientInfo) {
    if (!isValidPolicyName(name)) throw DomainError.validation('Policy name must be 1-128 characters of letters, digits and +=,.@_-.');
    validateDocument(document, MAX_INLINE_DOCUMENT);
    const owner = await this.owner(accountId, o);
    await this.prisma.transaction(async (tx) => {
      await this.repo.putInline(tx, accountId, owner.type, owner.id, name, document);
      await this.audit.append(tx, { chain: accountId, action: this.auditAction(o, 'Put'), outcome: 'success', actor: actorOf(auth), resourceArn: owner.arn, client, details: { policyName: name } });
    });
  }

  async getInline(accountId: string, o: PolicyOwner, name: string) {
    const owner = await this.owner(accountId, o);
    const p = isValidPolicyName(name) ? await this.repo.getInline(accountId, owner.type, owner.id, name) : null;
    if (!p) throw DomainError.noSuchEntity(`The inline policy ${name}`);
    return { policyName: p.name, document: JSON.parse(p.document) };
  }

  async listInline(accountId: string, o: PolicyOwner) {
    const owner = await this.owner(accountId, o);
    return { policyNames: (await this.repo.listInline(accountId, owner.type, owner.id)).map((p) => p.name) };
  }

  async deleteInline(auth: AuthContext, accountId: string, o: PolicyOwner, name: string, client: ClientInfo) {
    const owner = await this.owner(accountId, o);
    if (!isValidPolicyName(name)) throw DomainError.noSuchEntity(`The inline policy ${name}`);
    await this.prisma.transaction(async (tx) => {
      if (!(await this.repo.deleteInline(tx, accountId, owner.type, owner.id, name))) throw DomainError.noSuchEntity(`The inline policy ${name}`);
      await this.audit.append(tx, { chain: accountId, action: this.auditAction(o, 'Delete'), outcome: 'success', actor: actorOf(auth), resourceArn: owner.arn, client, details: { policyName: name } });
    });
  }
}
