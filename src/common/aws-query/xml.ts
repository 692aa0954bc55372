/**
 * XML for the AWS Query protocol's responses. Pure: no Nest, no I/O.
 *
 * Success: `<OpResponse xmlns="…"><OpResult>…</OpResult><ResponseMetadata><RequestId>…</RequestId>
 * </ResponseMetadata></OpResponse>`; error: `<ErrorResponse xmlns="…"><Error><Type/><Code/><Message/>
 * </Error><RequestId/></ErrorResponse>` (what STS and IAM send, and what the SDKs and botocore read).
 *
 * Values: object keys in insertion order → child elements; arrays → `<member>` children; Date →
 * ISO 8601 in UTC without milliseconds (as AWS writes them); boolean → true/false; number/bigint →
 * decimal; null/undefined → omitted. Text is escaped; characters XML 1.0 cannot carry at all
 * (control characters other than tab/LF/CR, lone surrogates, U+FFFE/U+FFFF) become U+FFFD, so a
 * response is always well-formed whatever a stored value contains.
 */

/** A value of a result member (mirrors QueryValue in the transport). */
export type XmlValue = string | number | bigint | boolean | Date | null | undefined | XmlValue[] | { [member: string]: XmlValue };

const ELEMENT_NAME_RE = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

// eslint-disable-next-line no-control-regex
const XML_INVALID_RE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** True when `s` contains a character XML 1.0 cannot represent (even escaped). */
export function hasXmlInvalidChars(s: string): boolean {
  XML_INVALID_RE.lastIndex = 0;
  const found = XML_INVALID_RE.test(s);
  XML_INVALID_RE.lastIndex = 0;
  return found;
}

/** Escapes text for element content or an attribute value. CR is kept as a reference (XML would normalise a raw one to LF). */
export function escapeXml(s: string): string {
  let out = '';
  const text = s.replace(XML_INVALID_RE, '\ufffd');
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    switch (c) {
      case '&':
        out += '&amp;';
        break;
      case '<':
        out += '&lt;';
        break;
      case '>':
        out += '&gt;';
        break;
      case '"':
        out += '&quot;';
        break;
      case "'":
        out += '&apos;';
        break;
      case '\r':
        out += '&#xD;';
        break;
      default:
        out += c;
    }
  }
  return out;
}

/** ISO 8601 in UTC, seconds precision: 2011-07-15T23:28:33Z. */
export function xmlDate(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function element(name: string, inner: string): string {
  if (!ELEMENT_NAME_RE.test(name)) throw new Error(`invalid XML element name: ${JSON.stringify(name)}`);
  return `<${name}>${inner}</${name}>`;
}

/** Serialises one member value (the element content). */
export function valueXml(value: XmlValue): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return escapeXml(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error('non-finite number in an XML response');
    return String(value);
  }
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return xmlDate(value);
  if (Array.isArray(value)) return value.map((v) => (v === null || v === undefined ? '' : element('member', valueXml(v)))).join('');
  return membersXml(value);
}

/** Serialises the members of a structure, in key order; null/undefined members are omitted. */
export function membersXml(members: { [member: string]: XmlValue }): string {
  let out = '';
  for (const [name, v] of Object.entries(members)) {
    if (v === null || v === undefined) continue;
    out += element(name, valueXml(v));
  }
  return out;
}

const XML_DECL = '<?xml version="1.0" encoding="UTF-8"?>\n';

/** A successful response; `result` undefined → no `<OpResult>` element (actions that return nothing). */
export function successXml(operation: string, xmlns: string, result: { [member: string]: XmlValue } | undefined, requestId: string): string {
  const body = result === undefined ? '' : element(`${operation}Result`, membersXml(result));
  const meta = element('ResponseMetadata', element('RequestId', escapeXml(requestId)));
  if (!ELEMENT_NAME_RE.test(operation)) throw new Error(`invalid operation name: ${JSON.stringify(operation)}`);
  return `${XML_DECL}<${operation}Response xmlns="${escapeXml(xmlns)}">${body}${meta}</${operation}Response>\n`;
}

export interface XmlError {
  type: 'Sender' | 'Receiver';
  code: string;
  message: string;
}

/** An error response, in the STS/IAM shape. */
export function errorXml(xmlns: string, err: XmlError, requestId: string): string {
  const e = element('Type', err.type) + element('Code', escapeXml(err.code)) + element('Message', escapeXml(err.message));
  return `${XML_DECL}<ErrorResponse xmlns="${escapeXml(xmlns)}">${element('Error', e)}${element('RequestId', escapeXml(requestId))}</ErrorResponse>\n`;
}
