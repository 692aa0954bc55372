import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { Strategy } from 'passport-custom';
import type { AuthContext } from '../../../common/auth/auth-context.js';
import { OperatorsService } from '../../operators/operators.service.js';
import { bearerToken } from './bearer.js';

/** A platform operator's token (`Authorization: Bearer cbop_…`). */
@Injectable()
export class OperatorTokenStrategy extends PassportStrategy(Strategy, 'operator-token') {
  constructor(private readonly operators: OperatorsService) {
    super();
  }

  async validate(req: FastifyRequest): Promise<AuthContext | null> {
    const token = bearerToken(req);
    return token ? this.operators.authenticate(token) : null;
  }
}
