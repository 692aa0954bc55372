import type { Type } from '@nestjs/common';
import type { QueryActionSet } from '../query-action.js';
import { GroupsQueryActions } from './groups.actions.js';
import { PoliciesQueryActions } from './policies.actions.js';
import { RolesQueryActions } from './roles.actions.js';
import { AccessKeysQueryActions } from './access-keys.actions.js';
import { AccountQueryActions } from './account.actions.js';
import { LoginProfilesQueryActions } from './login-profiles.actions.js';
import { MfaQueryActions } from './mfa.actions.js';
import { UsersQueryActions } from './users.actions.js';

/** The IAM Query action sets (each an injectable provider). */
export const IAM_ACTION_SETS: Type<QueryActionSet>[] = [
  GroupsQueryActions,
  PoliciesQueryActions,
  RolesQueryActions,
  UsersQueryActions,
  LoginProfilesQueryActions,
  AccessKeysQueryActions,
  MfaQueryActions,
  AccountQueryActions,
];
