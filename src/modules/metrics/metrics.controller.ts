import { Controller, Get, Res as Reply } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Public } from '../../common/auth/auth.decorators.js';
import { MetricsService } from './metrics.service.js';

/** Prometheus scrape endpoint (no secrets, no tenant data: counts and latencies only). */
@ApiExcludeController()
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  @Get()
  @Public()
  async scrape(@Reply() reply: FastifyReply) {
    return reply.header('content-type', this.metrics.registry.contentType).send(await this.metrics.registry.metrics());
  }
}
