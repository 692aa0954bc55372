import { Injectable } from '@nestjs/common';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics: one registry per app instance (tests run several). */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  readonly httpDuration = new Histogram({
    name: 'credbroker_http_request_duration_seconds',
    help: 'HTTP requests by route template, method and status',
    labelNames: ['route', 'method', 'status'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  readonly signIns = new Counter({
    name: 'credbroker_signins_total',
    help: 'Console sign-in attempts by outcome (success, mfa_required, failure, throttled, mfa_failure)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly refusals = new Counter({
    name: 'credbroker_refusals_total',
    help: 'Refused requests by code (authentication and authorization failures)',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }
}
