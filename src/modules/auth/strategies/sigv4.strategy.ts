import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { Strategy } from 'passport-custom';
import type { AuthContext } from '../../../common/auth/auth-context.js';
import { SigV4Authenticator } from '../../access-keys/sigv4-authenticator.service.js';

/** AWS Signature Version 4 (Authorization header or presigned query) with a broker-issued key. */
@Injectable()
export class SigV4Strategy extends PassportStrategy(Strategy, 'sigv4') {
  constructor(private readonly sigv4: SigV4Authenticator) {
    super();
  }

  validate(req: FastifyRequest): Promise<AuthContext | null> {
    return this.sigv4.authenticate(req);
  }
}
