import type { AccountRow } from './accounts.repository.js';

/** What the API shows of an account (no secrets, no internals). */
export function accountView(a: AccountRow, rootEmail?: string | null) {
  return {
    accountId: a.id,
    alias: a.alias,
    name: a.name,
    ...(rootEmail !== undefined ? { rootEmail } : {}),
    settings: {
      requireRootMfa: a.requireRootMfa,
      requireAdminMfa: a.requireAdminMfa,
      lockRootAccessKeys: a.lockRootAccessKeys,
      maxAccessKeyAgeDays: a.maxAccessKeyAgeDays,
    },
    awsAccountId: a.awsAccountId,
    signInUrl: `/v1/signin (account: ${a.alias ?? a.id})`,
    createdAt: a.createdAt.toISOString(),
  };
}
