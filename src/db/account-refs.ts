/**
 * Batched lookups across accounts (the credential caches' background refreshes). A row is asked for
 * by account and id together, and the query's candidates (`accountId IN … AND id IN …`) are matched
 * on both again: a row of another account never answers for this one, whatever ids it shares.
 */
export interface AccountRef {
  accountId: string;
  /** The row's id, or another key unique in its account (a policy ARN). */
  id: string;
}

/** How a batched lookup's answers are keyed. */
export const refKey = (accountId: string, id: string): string => `${accountId}|${id}`;

/** The `where` of a batched lookup on `field` (the candidates only: match them with `matchRefs`). */
export function refCandidates<F extends string>(refs: AccountRef[], field: F): { accountId: { in: string[] } } & Record<F, { in: string[] }> {
  return {
    accountId: { in: [...new Set(refs.map((r) => r.accountId))] },
    [field]: { in: [...new Set(refs.map((r) => r.id))] },
  } as { accountId: { in: string[] } } & Record<F, { in: string[] }>;
}

/** The candidate rows that answer one of `refs`, by `refKey`. */
export function matchRefs<R extends { accountId: string }>(refs: AccountRef[], rows: R[], idOf: (row: R) => string): Map<string, R> {
  const wanted = new Set(refs.map((r) => refKey(r.accountId, r.id)));
  const out = new Map<string, R>();
  for (const row of rows) {
    const k = refKey(row.accountId, idOf(row));
    if (wanted.has(k)) out.set(k, row);
  }
  return out;
}
