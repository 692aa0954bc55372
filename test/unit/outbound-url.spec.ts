import { isIP } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  canonicalIssuer,
  checkOutboundUrl,
  classifyAddress,
  isLoopbackHost,
  parseIPv6,
  parseIssuerUrl,
  refusedAddress,
} from '../../src/common/net/outbound-url.js';

const STRICT = { allowLoopback: false };
const LOOPBACK_OK = { allowLoopback: true };

describe('classifyAddress', () => {
  it.each([
    ['8.8.8.8', 'public'],
    ['140.82.112.3', 'public'],
    ['1.1.1.1', 'public'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['172.32.0.1', 'public'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'cgnat'],
    ['100.127.255.255', 'cgnat'],
    ['100.128.0.1', 'public'],
    ['169.254.169.254', 'link-local'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.255', 'reserved'],
    ['192.0.2.10', 'reserved'],
    ['198.18.0.1', 'reserved'],
  ])('IPv4 %s is %s', (ip, kind) => {
    expect(classifyAddress(ip)).toBe(kind);
  });

  it.each([
    ['2606:4700:4700::1111', 'public'],
    ['2001:4860:4860::8888', 'public'],
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['0:0:0:0:0:0:0:1', 'loopback'],
    ['[::1]', 'loopback'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['febf::1', 'link-local'],
    ['fec0::1', 'reserved'],
    ['fc00::1', 'unique-local'],
    ['fd12:3456:789a::1', 'unique-local'],
    ['ff02::1', 'multicast'],
    ['2001:db8::1', 'reserved'],
    ['2001:0:4136:e378::1', 'reserved'],
    ['100::1', 'reserved'],
    ['2a00:1450:4001::200e', 'public'],
    ['4000::1', 'reserved'],
  ])('IPv6 %s is %s', (ip, kind) => {
    expect(classifyAddress(ip)).toBe(kind);
  });

  it.each([
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:10.1.2.3', 'private'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['::ffff:a9fe:a9fe', 'link-local'],
    ['::ffff:100.64.1.1', 'cgnat'],
    ['::ffff:8.8.8.8', 'public'],
    ['0:0:0:0:0:ffff:192.168.0.1', 'private'],
    ['64:ff9b::10.0.0.1', 'private'],
    ['64:ff9b::8.8.8.8', 'public'],
    ['64:ff9b:1::1', 'private'],
    ['2002:0a00:0001::1', 'private'],
    ['2002:0808:0808::1', 'public'],
    ['::127.0.0.1', 'reserved'],
  ])('IPv4-mapped / embedded %s is %s', (ip, kind) => {
    expect(classifyAddress(ip)).toBe(kind);
  });

  it.each(['example.com', '', '1.2.3', '1.2.3.4.5', '256.1.1.1', '01.2.3.4', '1::2::3', ':::', '12345::1', 'g::1', '1:2:3:4:5:6:7:8:9', '::ffff:1.2.3.256'])('%j is not an address', (s) => {
    expect(classifyAddress(s)).toBeNull();
  });

  it('parses IPv6 like node does', () => {
    const samples = ['::', '::1', '1::', '1:2:3:4:5:6:7:8', '1::8', '1:2:3:4:5:6::8', '1::3:4:5:6:7:8', '::ffff:1.2.3.4', '1:2:3:4:5:6:1.2.3.4', 'fe80::1%lo0', ':1::', '1:::2', '1:2:3:4:5:6:7:8::', '::1.2.3'];
    for (const s of samples) expect(parseIPv6(s) !== null, s).toBe(isIP(s.split('%')[0]!) === 6);
    expect(parseIPv6('::ffff:1.2.3.4')).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3, 4]);
    expect(parseIPv6('1::8')).toEqual([0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 8]);
  });
});

describe('isLoopbackHost', () => {
  it.each([
    ['localhost', true],
    ['LOCALHOST', true],
    ['localhost.', true],
    ['127.0.0.1', true],
    ['127.1.2.3', true],
    ['::1', true],
    ['[::1]', true],
    ['::ffff:127.0.0.1', true],
    ['localhost.example.com', false],
    ['10.0.0.1', false],
    ['example.com', false],
  ])('%s → %s', (host, expected) => {
    expect(isLoopbackHost(host)).toBe(expected);
  });
});

describe('refusedAddress', () => {
  it('accepts only sets of public addresses', () => {
    expect(refusedAddress(['140.82.112.3', '2606:4700::1'])).toBeNull();
    expect(refusedAddress([])).toMatch(/did not resolve/);
    expect(refusedAddress(['140.82.112.3', '10.0.0.5'])).toMatch(/private/);
    expect(refusedAddress(['::ffff:169.254.169.254'])).toMatch(/link-local/);
    expect(refusedAddress(['127.0.0.1'])).toMatch(/loopback/);
    expect(refusedAddress(['fd00::1'])).toMatch(/unique-local/);
    expect(refusedAddress(['not-an-ip'])).toMatch(/not an IP/);
  });
});

describe('checkOutboundUrl', () => {
  it('accepts https URLs with a name or a public address', () => {
    const c = checkOutboundUrl('https://token.actions.githubusercontent.com/.well-known/jwks', STRICT);
    expect(c).toMatchObject({ ok: true, host: 'token.actions.githubusercontent.com', ipVersion: 0, loopback: false });
    expect(checkOutboundUrl('https://8.8.8.8/jwks', STRICT)).toMatchObject({ ok: true, ipVersion: 4 });
    expect(checkOutboundUrl('https://[2606:4700:4700::1111]/jwks', STRICT)).toMatchObject({ ok: true, ipVersion: 6, host: '2606:4700:4700::1111' });
  });

  it.each([
    ['http://example.com/jwks', /https/],
    ['ftp://example.com/jwks', /https/],
    ['file:///etc/passwd', /https/],
    ['https://user:pw@example.com/jwks', /credentials/],
    ['https://10.0.0.1/jwks', /private/],
    ['https://169.254.169.254/latest/meta-data', /link-local/],
    ['https://[fe80::1]/', /link-local/],
    ['https://[::ffff:10.0.0.1]/', /private/],
    ['https://[::ffff:7f00:1]/', /loopback/],
    ['https://100.64.0.1/', /cgnat/],
    ['https://0.0.0.0/', /unspecified/],
    ['https://224.0.0.1/', /multicast/],
    ['https://127.0.0.1/', /loopback/],
    ['https://2130706433/', /loopback/],
    ['https://0x7f.1/', /loopback/],
    ['http://localhost:8080/', /loopback/],
    ['https://[::1]/', /loopback/],
    ['not a url', /valid/],
    ['', /valid/],
    ['/relative', /valid/],
  ])('refuses %s', (url, reason) => {
    const c = checkOutboundUrl(url, STRICT);
    expect(c.ok).toBe(false);
    if (!c.ok) expect(c.reason).toMatch(reason);
  });

  it('allows http and https to loopback only when allowed', () => {
    expect(checkOutboundUrl('http://127.0.0.1:9000/jwks', LOOPBACK_OK)).toMatchObject({ ok: true, loopback: true, ipVersion: 4 });
    expect(checkOutboundUrl('https://localhost:9000/jwks', LOOPBACK_OK)).toMatchObject({ ok: true, loopback: true, ipVersion: 0 });
    expect(checkOutboundUrl('http://[::1]:9000/jwks', LOOPBACK_OK)).toMatchObject({ ok: true, loopback: true, ipVersion: 6, host: '::1' });
    // Loopback allowed does not open anything else.
    expect(checkOutboundUrl('http://example.com/jwks', LOOPBACK_OK).ok).toBe(false);
    expect(checkOutboundUrl('http://10.0.0.1/jwks', LOOPBACK_OK).ok).toBe(false);
    expect(checkOutboundUrl('https://192.168.0.1/jwks', LOOPBACK_OK).ok).toBe(false);
  });
});

describe('issuer URLs', () => {
  it('canonicalises: lower-case host, no default port, no trailing slash', () => {
    expect(canonicalIssuer('https://Token.Actions.GithubUserContent.com/')).toBe('https://token.actions.githubusercontent.com');
    expect(canonicalIssuer('https://gitlab.example.com:443/group//')).toBe('https://gitlab.example.com/group');
    expect(canonicalIssuer('http://127.0.0.1:4000')).toBe('http://127.0.0.1:4000');
    expect(canonicalIssuer('https://x.example/?a=1')).toBeNull();
    expect(canonicalIssuer('https://x.example/#f')).toBeNull();
    expect(canonicalIssuer('https://u@x.example/')).toBeNull();
    expect(canonicalIssuer('ftp://x.example')).toBeNull();
    expect(canonicalIssuer('x.example')).toBeNull();
  });

  it('validates provider URLs and names their ARN part', () => {
    expect(parseIssuerUrl('https://token.actions.githubusercontent.com/', STRICT)).toEqual({
      ok: true,
      url: 'https://token.actions.githubusercontent.com',
      hostAndPath: 'token.actions.githubusercontent.com',
    });
    expect(parseIssuerUrl('https://gitlab.example.com/tenant', STRICT)).toMatchObject({ ok: true, hostAndPath: 'gitlab.example.com/tenant' });
    expect(parseIssuerUrl('http://127.0.0.1:4000', LOOPBACK_OK)).toMatchObject({ ok: true, url: 'http://127.0.0.1:4000', hostAndPath: '127.0.0.1:4000' });
    for (const bad of ['http://gitlab.example.com', 'https://x.example/?q=1', 'https://x.example/#frag', 'https://u:p@x.example', 'x.example', `https://${'a'.repeat(250)}.com`, 'http://127.0.0.1:4000', 'https://10.1.1.1']) {
      expect(parseIssuerUrl(bad, STRICT).ok, bad).toBe(false);
    }
  });
});
