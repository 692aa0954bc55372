import { describe, expect, it } from 'vitest';
import { decodeFormComponent, FormError, MAX_FORM_FIELDS, parseForm } from '../../src/common/aws-query/form.js';

describe('AWS Query form parsing', () => {
  it('reads fields in order, + as space, percent-escapes as UTF-8', () => {
    const f = parseForm(Buffer.from('Action=GetUser&Version=2010-05-08&UserName=a%2Bb+c&Path=%2Fdev%2F&Name=%C3%A9%E2%82%AC'));
    expect([...f]).toEqual([
      ['Action', 'GetUser'],
      ['Version', '2010-05-08'],
      ['UserName', 'a+b c'],
      ['Path', '/dev/'],
      ['Name', 'é€'],
    ]);
  });

  it('skips empty segments; a name without = has an empty value; empty input is no field', () => {
    expect([...parseForm('a=1&&b&')]).toEqual([
      ['a', '1'],
      ['b', ''],
    ]);
    expect(parseForm(undefined).size).toBe(0);
    expect(parseForm(Buffer.alloc(0)).size).toBe(0);
  });

  it('keeps = inside values and raw UTF-8 bytes of the body', () => {
    expect(parseForm('Policy={"a":"b=c"}').get('Policy')).toBe('{"a":"b=c"}');
    expect(parseForm(Buffer.from('n=é', 'utf8')).get('n')).toBe('é');
  });

  it.each([
    ['a=%', /percent-encoding/],
    ['a=%G1', /percent-encoding/],
    ['a=%4', /percent-encoding/],
    ['a=1&a=2', /more than once/],
    ['=x', /without a name/],
    ['a=%FF%FE', /UTF-8/],
    ['a=%C3', /UTF-8/],
    ['a=%ED%A0%80', /UTF-8/], // an encoded surrogate
  ])('refuses %s as MalformedQueryString', (input, msg) => {
    let err: unknown;
    try {
      parseForm(Buffer.from(input, 'latin1'));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FormError);
    expect((err as FormError).code).toBe('MalformedQueryString');
    expect((err as FormError).message).toMatch(msg);
  });

  it('refuses invalid raw bytes of the body and too many fields', () => {
    expect(() => parseForm(Buffer.from([0x61, 0x3d, 0xff]))).toThrow(FormError);
    const many = Array.from({ length: MAX_FORM_FIELDS + 1 }, (_, i) => `f${i}=1`).join('&');
    expect(() => parseForm(many)).toThrow(/more than 1000 parameters/);
  });

  it('does not echo control characters in messages', () => {
    expect(() => parseForm('a\u0001b=1&a\u0001b=2')).toThrow(/a\?b/);
    expect(decodeFormComponent('%00')).toBe('\u0000');
  });
});
