import { describe, expect, it } from 'vitest';
import { createLogger, redactUrl } from '../../src/common/logging/logger.js';

describe('redactUrl (request log lines)', () => {
  it('hides presigned-URL secrets and tokens on REST routes, and nothing else', () => {
    expect(redactUrl('/v1/accounts/1/users?marker=abc&X-Amz-Signature=deadbeef&token=t0k')).toBe(
      '/v1/accounts/1/users?marker=abc&X-Amz-Signature=[REDACTED]&token=[REDACTED]',
    );
  });

  it('on the AWS Query endpoint, every parameter but Action and Version (any could be a password, MFA code or token)', () => {
    const url = '/?Action=ChangePassword&Version=2010-05-08&OldPassword=Old-Passw0rd!&NewPassword=New-Passw0rd!&WebIdentityToken=eyJ&flag';
    const out = redactUrl(url);
    expect(out).toBe('/?Action=ChangePassword&Version=2010-05-08&OldPassword=[REDACTED]&NewPassword=[REDACTED]&WebIdentityToken=[REDACTED]&flag');
    expect(out).not.toMatch(/Passw0rd|eyJ/);
  });
});

describe('log redaction of database errors', () => {
  it("drops a failed statement's bound values from an error and from its cause", () => {
    const lines: string[] = [];
    const log = createLogger('info', { write: (l: string) => lines.push(l) });
    const dbError = Object.assign(new Error('duplicate key value violates unique constraint'), { code: '23505', query: 'INSERT INTO t VALUES ($1)', params: ['bound-value-1'] });
    log.error({ err: dbError }, 'unexpected error');
    log.error({ err: new Error('wrapped', { cause: dbError }) }, 'unexpected error');
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(line).not.toContain('bound-value-1');
    const [direct, wrapped] = lines.map((l) => JSON.parse(l));
    expect(direct.err).toMatchObject({ message: 'duplicate key value violates unique constraint', code: '23505', params: '[REDACTED]' });
    expect(wrapped.err.message).toMatch(/^wrapped/);
  });
});
