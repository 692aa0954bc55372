import { Controller, Get, HttpCode, Post, Req, Res, UseFilters } from '@nestjs/common';
import { ApiConsumes, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '../../common/auth/auth.decorators.js';
import { AwsQueryExceptionFilter } from './aws-query-exception.filter.js';
import { AwsQueryDispatcher } from './aws-query.dispatcher.js';

/**
 * The AWS Query endpoint (STS and IAM wire protocol: what the AWS CLI and SDKs send to
 * `--endpoint-url`). Public as far as the global guard goes: the dispatcher authenticates
 * with SigV4 itself (AssumeRoleWithWebIdentity is anonymous, and errors must be AWS's XML).
 */
@ApiTags('aws query (sts, iam)')
@ApiProduces('text/xml')
@Controller()
@UseFilters(AwsQueryExceptionFilter)
export class AwsQueryController {
  constructor(private readonly dispatcher: AwsQueryDispatcher) {}

  @Post('/')
  @HttpCode(200)
  @Public()
  @ApiConsumes('application/x-www-form-urlencoded')
  @ApiOperation({ summary: 'AWS Query API (STS 2011-06-15, IAM 2010-05-08): Action, Version and the parameters as a form; SigV4-signed' })
  async post(@Req() req: FastifyRequest, @Res() res: FastifyReply): Promise<void> {
    await this.send(req, res);
  }

  @Get('/')
  @Public()
  @ApiOperation({ summary: 'AWS Query API with the parameters in the query string (also presigned URLs)' })
  async get(@Req() req: FastifyRequest, @Res() res: FastifyReply): Promise<void> {
    await this.send(req, res);
  }

  private async send(req: FastifyRequest, res: FastifyReply): Promise<void> {
    const r = await this.dispatcher.handle(req);
    await res.status(r.status).headers(r.headers).send(r.body);
  }
}
