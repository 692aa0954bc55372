import type { Provider, Type } from '@nestjs/common';
import { RolePoliciesController } from '../policies/owner-policies.controller.js';
import { RolesController } from './roles.controller.js';
import { RolesRepository } from './roles.repository.js';
import { RolesService } from './roles.service.js';

/** Roles: CRUD, trust policies, role policies. */
export const ROLES_CONTROLLERS: Type<unknown>[] = [RolesController, RolePoliciesController];
export const ROLES_PROVIDERS: Provider[] = [RolesRepository, RolesService];
