import { Injectable } from '@nestjs/common';
import type { ResourceLookup } from '../../common/auth/resource.js';
import { GroupsRepository } from '../groups/groups.repository.js';
import { OidcProvidersRepository } from '../oidc/oidc-providers.repository.js';
import { RolesRepository } from '../roles/roles.repository.js';
import { UsersRepository } from '../users/users.repository.js';
import { PoliciesRepository } from './policies.repository.js';

/** Paths for resource ARNs, looked up in the caller's account only. */
@Injectable()
export class IamResourceLookup implements ResourceLookup {
  constructor(
    private readonly users: UsersRepository,
    private readonly groups: GroupsRepository,
    private readonly policies: PoliciesRepository,
    private readonly roles: RolesRepository,
    private readonly oidc: OidcProvidersRepository,
  ) {}

  async userPath(accountId: string, name: string) {
    return name ? ((await this.users.findByName(accountId, name))?.path ?? null) : null;
  }
  async groupPath(accountId: string, name: string) {
    return name ? ((await this.groups.findByName(accountId, name))?.path ?? null) : null;
  }
  async policyPath(accountId: string, name: string) {
    return name ? ((await this.policies.findManagedByName(accountId, name))?.path ?? null) : null;
  }
  async rolePath(accountId: string, name: string) {
    return name ? ((await this.roles.findByName(accountId, name))?.path ?? null) : null;
  }
  async oidcProviderArn(accountId: string, id: string) {
    return /^[0-9a-f-]{36}$/i.test(id) ? ((await this.oidc.findById(accountId, id))?.arn ?? null) : null;
  }
}
