import { describe, expect, it } from 'vitest';
import { errorXml, escapeXml, hasXmlInvalidChars, membersXml, successXml, xmlDate } from '../../src/common/aws-query/xml.js';

const NS = 'https://sts.amazonaws.com/doc/2011-06-15/';

describe('AWS Query XML', () => {
  it('escapes markup and quotes; keeps CR as a reference', () => {
    expect(escapeXml(`<a href="x">&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;');
    expect(escapeXml('a\r\nb\tc')).toBe('a&#xD;\nb\tc');
  });

  it('replaces characters XML 1.0 cannot carry with U+FFFD', () => {
    expect(escapeXml('a\u0000b\u001fc\uffffd')).toBe('a\ufffdb\ufffdc\ufffdd');
    expect(escapeXml('x\ud800y')).toBe('x\ufffdy'); // lone high surrogate
    expect(escapeXml('x\udc00y')).toBe('x\ufffdy'); // lone low surrogate
    expect(escapeXml('😀')).toBe('😀'); // a pair is fine
    expect(hasXmlInvalidChars('ok\t\n\r😀é')).toBe(false);
    expect(hasXmlInvalidChars('bad\u0008')).toBe(true);
    expect(hasXmlInvalidChars('bad\ud800')).toBe(true);
    expect(hasXmlInvalidChars('bad\u0008')).toBe(true); // no lastIndex state between calls
  });

  it('dates are UTC seconds with Z', () => {
    expect(xmlDate(new Date('2026-11-29T11:12:07.123Z'))).toBe('2026-11-29T11:12:07Z');
  });

  it('members: key order, arrays as <member>, nested structures, scalars, null/undefined omitted', () => {
    expect(
      membersXml({
        User: { UserName: 'bob', Path: '/', CreateDate: new Date('2020-01-02T03:04:05Z'), Tags: [{ Key: 'a', Value: '<b>' }] },
        IsTruncated: false,
        Count: 3,
        Big: 10n,
        Marker: undefined,
        Nothing: null,
        Names: ['x', 'y'],
        Empty: [],
      }),
    ).toBe(
      '<User><UserName>bob</UserName><Path>/</Path><CreateDate>2020-01-02T03:04:05Z</CreateDate><Tags><member><Key>a</Key><Value>&lt;b&gt;</Value></member></Tags></User>' +
        '<IsTruncated>false</IsTruncated><Count>3</Count><Big>10</Big><Names><member>x</member><member>y</member></Names><Empty></Empty>',
    );
  });

  it('refuses element names that are not names and numbers that are not finite', () => {
    expect(() => membersXml({ 'a b': 'x' })).toThrow(/element name/);
    expect(() => membersXml({ '<x': 'x' })).toThrow(/element name/);
    expect(() => membersXml({ N: Number.NaN })).toThrow(/non-finite/);
  });

  it('success response: <Op>Response/<Op>Result/ResponseMetadata; no Result for actions returning nothing', () => {
    expect(successXml('GetCallerIdentity', NS, { Arn: 'arn:aws:iam::123456789012:user/bob' }, 'req-1')).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n' +
        `<GetCallerIdentityResponse xmlns="${NS}"><GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/bob</Arn></GetCallerIdentityResult>` +
        '<ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></GetCallerIdentityResponse>\n',
    );
    expect(successXml('DeleteUser', NS, undefined, 'r')).toContain(`<DeleteUserResponse xmlns="${NS}"><ResponseMetadata>`);
    expect(() => successXml('Bad Op', NS, undefined, 'r')).toThrow();
  });

  it('error response: ErrorResponse/Error/Type,Code,Message + RequestId, escaped', () => {
    expect(errorXml(NS, { type: 'Sender', code: 'ValidationError', message: 'Value \'<x>\' & more' }, 'req-2')).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n' +
        `<ErrorResponse xmlns="${NS}"><Error><Type>Sender</Type><Code>ValidationError</Code><Message>Value &apos;&lt;x&gt;&apos; &amp; more</Message></Error><RequestId>req-2</RequestId></ErrorResponse>\n`,
    );
  });
});
