import { describe, expect, it } from 'vitest';
import { QueryParamError, QueryParams } from '../../src/common/aws-query/query-params.js';

const p = (o: Record<string, string>) => QueryParams.from(Object.entries(o));
const codeOf = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    if (e instanceof QueryParamError) return [e.code, e.message];
    throw e;
  }
  return undefined;
};

describe('QueryParams', () => {
  it('scalars: str, has, required', () => {
    const q = p({ UserName: 'bob', Empty: '' });
    expect(q.str('UserName')).toBe('bob');
    expect(q.str('Nope')).toBeUndefined();
    expect(q.has('Empty')).toBe(true);
    expect(q.required('UserName')).toBe('bob');
    expect(codeOf(() => q.required('Nope'))).toEqual(['MissingParameter', 'The request must contain the parameter Nope.']);
    expect(codeOf(() => q.required('Empty'))?.[0]).toBe('MissingParameter');
  });

  it('int and bool', () => {
    const q = p({ MaxItems: '100', Neg: '-3', Bad: '1e3', Big: '1234567890123456', T: 'TRUE', F: 'false', X: 'yes' });
    expect(q.int('MaxItems')).toBe(100);
    expect(q.int('Neg')).toBe(-3);
    expect(q.int('Nope')).toBeUndefined();
    expect(codeOf(() => q.int('Bad'))).toEqual(['ValidationError', "1 validation error detected: Value '1e3' at 'bad' failed to satisfy constraint: Member must be an integer"]);
    expect(codeOf(() => q.int('Big'))?.[0]).toBe('ValidationError');
    expect(q.bool('T')).toBe(true);
    expect(q.bool('F')).toBe(false);
    expect(q.bool('Nope')).toBeUndefined();
    expect(codeOf(() => q.bool('X'))?.[1]).toMatch(/at 'x' failed to satisfy constraint: Member must be a boolean/);
  });

  it('lists: Name.member.N in order; an empty list given as `Name=`; absent → undefined', () => {
    const q = p({ 'TransitiveTagKeys.member.2': 'b', 'TransitiveTagKeys.member.1': 'a', Empty: '' });
    expect(q.list('TransitiveTagKeys')).toEqual(['a', 'b']);
    expect(q.list('Empty')).toEqual([]);
    expect(q.list('Nope')).toBeUndefined();
  });

  it('lists with gaps, not starting at 1, or with bad member keys are ValidationError', () => {
    expect(codeOf(() => p({ 'L.member.1': 'a', 'L.member.3': 'c' }).list('L'))?.[0]).toBe('ValidationError');
    expect(codeOf(() => p({ 'L.member.2': 'a' }).list('L'))?.[0]).toBe('ValidationError');
    expect(codeOf(() => p({ 'L.member.x': 'a' }).list('L'))?.[0]).toBe('ValidationError');
    expect(codeOf(() => p({ 'L.member.1.Key': 'a' }).list('L'))?.[1]).toMatch(/malformed member 1/);
  });

  it('structure lists: Name.member.N.Field', () => {
    const q = p({ 'Tags.member.1.Key': 'team', 'Tags.member.1.Value': 'blue', 'Tags.member.2.Key': 'solo', 'PolicyArns.member.1.arn': 'arn:aws:iam::aws:policy/ReadOnlyAccess' });
    expect(q.structList('Tags', ['Key', 'Value'])).toEqual([{ Key: 'team', Value: 'blue' }, { Key: 'solo' }]);
    expect(q.structList('PolicyArns', ['arn'])).toEqual([{ arn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' }]);
    expect(q.structList('Nope', ['Key'])).toBeUndefined();
    expect(codeOf(() => p({ 'Tags.member.2.Key': 'x' }).structList('Tags', ['Key']))?.[0]).toBe('ValidationError');
  });

  it('entries lists every field', () => {
    expect([...p({ a: '1', b: '2' }).entries()]).toEqual([
      ['a', '1'],
      ['b', '2'],
    ]);
  });
});
