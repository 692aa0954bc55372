import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { Strategy } from 'passport-custom';
import type { AuthContext } from '../../../common/auth/auth-context.js';
import { clientInfoOf } from '../../../common/auth/auth.decorators.js';
import { validateDto } from '../../../common/validation/validate-dto.js';
import { SignInDto } from '../dto/signin.dto.js';
import { principalOf, SignInService } from '../signin.service.js';

/** Console sign-in, first factor: account + email (root) or user name + password. */
@Injectable()
export class PasswordStrategy extends PassportStrategy(Strategy, 'password') {
  constructor(private readonly signIn: SignInService) {
    super();
  }

  async validate(req: FastifyRequest): Promise<AuthContext> {
    const dto = validateDto(SignInDto, req.body);
    const v = await this.signIn.verifyPassword(dto, clientInfoOf(req));
    return {
      method: 'password',
      accountId: v.account.id,
      principal: principalOf(v.user),
      mfa: { present: false },
      tags: (v.user.tags ?? {}) as Record<string, string>,
    };
  }
}
