import { describe, expect, it } from 'vitest';
import { redactUrl } from '../../src/common/logging/logger.js';

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
