import type { ClaimMapping, RoleRow } from './roles.repository.js';

/** The API's view of a role (IAM GetRole shape, plus the broker's claim mapping and upstream binding). */
export function roleView(r: RoleRow) {
  return {
    roleName: r.name,
    roleId: r.id,
    arn: r.arn,
    path: r.path,
    description: r.description,
    maxSessionDuration: r.maxSessionDuration,
    assumeRolePolicyDocument: JSON.parse(r.trustPolicy) as Record<string, unknown>,
    claimMapping: (r.claimMapping ?? {}) as ClaimMapping,
    awsRoleArn: r.awsRoleArn,
    tags: Object.entries((r.tags ?? {}) as Record<string, string>).map(([key, value]) => ({ key, value })),
    createDate: r.createdAt.toISOString(),
  };
}

export type RoleView = ReturnType<typeof roleView>;
