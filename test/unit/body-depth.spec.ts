import { describe, expect, it } from 'vitest';
import { nestedDeeperThan } from '../../src/common/validation/validate-dto.js';

describe('nestedDeeperThan', () => {
  const nest = (n: number) => {
    let v: unknown = 'leaf';
    for (let i = 0; i < n; i++) v = i % 2 ? [v] : { k: v };
    return v;
  };
  it('counts objects and arrays, not scalars', () => {
    expect(nestedDeeperThan('x', 0)).toBe(false);
    expect(nestedDeeperThan({}, 1)).toBe(false);
    expect(nestedDeeperThan({ a: { b: 1 } }, 2)).toBe(false);
    expect(nestedDeeperThan({ a: { b: {} } }, 2)).toBe(true);
    expect(nestedDeeperThan(nest(32), 32)).toBe(false);
    expect(nestedDeeperThan(nest(33), 32)).toBe(true);
  });
  it('handles very deep values without recursion', () => {
    expect(nestedDeeperThan(nest(100_000), 32)).toBe(true);
  });
});
