import { Injectable } from '@nestjs/common';
import type { ResourceLookup } from '../../common/auth/resource.js';
import { GroupsRepository } from '../groups/groups.repository.js';
import { UsersRepository } from '../users/users.repository.js';
import { PoliciesRepository } from './policies.repository.js';

/** Paths for resource ARNs, looked up in the caller's account only. */
@Injectable()
export class IamResourceLookup implements ResourceLookup {
  constructor(
    private readonly users: UsersRepository,
    private readonly groups: GroupsRepository,
    private readonly policies: PoliciesRepository,
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
}
