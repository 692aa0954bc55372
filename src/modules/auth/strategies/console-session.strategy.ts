import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { Strategy } from 'passport-custom';
import type { AuthContext } from '../../../common/auth/auth-context.js';
import { SignInService } from '../signin.service.js';
import { bearerToken } from './bearer.js';

/** A console session token (`Authorization: Bearer cbs_…`). */
@Injectable()
export class ConsoleSessionStrategy extends PassportStrategy(Strategy, 'console-session') {
  constructor(private readonly signIn: SignInService) {
    super();
  }

  async validate(req: FastifyRequest): Promise<AuthContext | null> {
    const token = bearerToken(req);
    return token ? this.signIn.contextForSession(token) : null;
  }
}
