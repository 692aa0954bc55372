import { Injectable } from '@nestjs/common';
import { Counter, Registry, collectDefaultMetrics } from 'prom-client';
import { FastHistogram } from './fast-histogram.js';

/** Prometheus metrics: one registry per app instance (tests run several). */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  readonly httpDuration = new FastHistogram(
    'credbroker_http_request_duration_seconds',
    'HTTP requests by route template, method and status',
    ['route', 'method', 'status'],
    [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    this.registry,
  );

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

  /** One bound series per route, method and status. */
  private readonly httpChildren = new Map<string, { observe(v: number): void }>();

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /** Records one HTTP request (`route` is the route template or 'unmatched', so the label set stays bounded). */
  observeHttp(route: string, method: string, status: number, seconds: number): void {
    const id = `${method} ${status} ${route}`;
    let child = this.httpChildren.get(id);
    if (!child) {
      child = this.httpDuration.series(route, method, String(status));
      this.httpChildren.set(id, child);
    }
    child.observe(seconds);
  }
}
