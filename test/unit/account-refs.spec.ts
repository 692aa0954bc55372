import { describe, expect, it } from 'vitest';
import { matchRefs, refCandidates, refKey } from '../../src/db/account-refs.js';

describe('account-scoped batched lookups', () => {
  const refs = [
    { accountId: '111111111111', id: 'a' },
    { accountId: '222222222222', id: 'b' },
    { accountId: '111111111111', id: 'a' },
  ];

  it('asks for the candidates once each', () => {
    expect(refCandidates(refs, 'arn')).toEqual({ accountId: { in: ['111111111111', '222222222222'] }, arn: { in: ['a', 'b'] } });
  });

  it('keeps only rows asked for under their own account', () => {
    const rows = [
      { accountId: '111111111111', id: 'a', v: 1 },
      { accountId: '111111111111', id: 'b', v: 2 }, // b asked for under the other account only
      { accountId: '222222222222', id: 'a', v: 3 }, // likewise
      { accountId: '222222222222', id: 'b', v: 4 },
    ];
    const found = matchRefs(refs, rows, (r) => r.id);
    expect([...found.entries()].map(([k, r]) => [k, r.v])).toEqual([
      [refKey('111111111111', 'a'), 1],
      [refKey('222222222222', 'b'), 4],
    ]);
  });
});
