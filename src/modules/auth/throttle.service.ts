import { Injectable } from '@nestjs/common';
import { DomainError } from '../../common/errors/domain-error.js';
import { ErrorCode } from '../../common/errors/error-codes.js';
import { ThrottleRepository } from './throttle.repository.js';

/** Failures after which each kind of key is locked, and how long counts are remembered. */
export const THROTTLE_RULES = {
  /** One principal from one address: the attacker's own lane. */
  principalFromIp: 5,
  /** One principal from anywhere: catches distributed guessing, later than the above. */
  principal: 20,
  /** One address against anything: catches spraying across users. */
  ip: 50,
  decaySeconds: 3600,
  /** Lock doubles from 1 s per failure past the threshold, capped so nobody is locked out for long. */
  maxLockSeconds: 900,
} as const;

export interface ThrottleSubject {
  /** What identifies the principal as typed (account + user name or email), existing or not. */
  principalKey: string;
  ip: string;
}

/**
 * Escalating temporary lockout for password and MFA attempts. Keys are built
 * from what the caller typed, so an unknown user is throttled exactly like a
 * known one (no existence oracle), and locks expire on their own.
 */
@Injectable()
export class ThrottleService {
  constructor(private readonly repo: ThrottleRepository) {}

  private keys(s: ThrottleSubject, scope: string) {
    return {
      pip: `${scope}:pip:${s.principalKey}|${s.ip}`,
      p: `${scope}:p:${s.principalKey}`,
      ip: `${scope}:ip:${s.ip}`,
    };
  }

  /** Throws Throttling (429, Retry-After) while any lock applies. */
  async assertNotLocked(s: ThrottleSubject, scope = 'signin'): Promise<void> {
    const k = this.keys(s, scope);
    const until = await this.repo.lockedUntil([k.pip, k.p, k.ip]);
    if (until) {
      const secs = Math.max(1, Math.ceil((until.getTime() - Date.now()) / 1000));
      throw new DomainError(ErrorCode.Throttling, `Too many failed attempts. Try again in ${secs} seconds.`, secs);
    }
  }

  /** Records a failure; returns true when this failure started a lock. */
  async recordFailure(s: ThrottleSubject, scope = 'signin'): Promise<boolean> {
    const k = this.keys(s, scope);
    const limits: [string, number][] = [
      [k.pip, THROTTLE_RULES.principalFromIp],
      [k.p, THROTTLE_RULES.principal],
      [k.ip, THROTTLE_RULES.ip],
    ];
    let locked = false;
    for (const [key, limit] of limits) {
      const n = await this.repo.fail(key, THROTTLE_RULES.decaySeconds);
      if (n >= limit) {
        const secs = Math.min(THROTTLE_RULES.maxLockSeconds, 2 ** Math.min(n - limit, 20));
        await this.repo.lock(key, new Date(Date.now() + secs * 1000));
        locked = true;
      }
    }
    return locked;
  }

  /** A success clears the principal's counters (the address counter decays on its own). */
  async recordSuccess(s: ThrottleSubject, scope = 'signin'): Promise<void> {
    const k = this.keys(s, scope);
    await this.repo.clear([k.pip, k.p]);
  }
}
