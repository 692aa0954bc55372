import { AccessKeyRelationsResolver, GroupRelationsResolver, IamResolver, RoleRelationsResolver, UserRelationsResolver } from './iam.resolver.js';
import { AuditEventResolver, AuditResolver } from './audit.resolver.js';
import { AuditQueryRepository } from '../audit/audit-query.repository.js';
import { AuditQueryService } from '../audit/audit-query.service.js';
import { GraphAccess } from './graph-access.service.js';
import { GraphLoaderFactory } from './graph-loader.factory.js';
import { GraphReadRepository } from './graph-read.repository.js';

/** GraphQL's resolvers and helpers, provided by the identity module (they use its services). */
export const GRAPHQL_PROVIDERS = [
  AuditQueryRepository,
  AuditQueryService,
  GraphAccess,
  GraphReadRepository,
  GraphLoaderFactory,
  AuditResolver,
  AuditEventResolver,
  IamResolver,
  UserRelationsResolver,
  GroupRelationsResolver,
  RoleRelationsResolver,
  AccessKeyRelationsResolver,
];
