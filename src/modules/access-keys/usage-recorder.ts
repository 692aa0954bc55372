import { Injectable, Logger } from '@nestjs/common';
import { AccessKeysRepository } from './access-keys.repository.js';

/** The part of a request that names what was used: its method and route. */
export interface RequestLine {
  method: string;
  routeOptions?: { url?: string };
}

/** Last use is written at most once a minute per key, off the request path. */
export const LAST_USED_WRITE_INTERVAL_MS = 60_000;

@Injectable()
export class UsageRecorder {
  private readonly logger = new Logger('AccessKeyUsage');
  private readonly lastWritten = new Map<string, number>();

  constructor(private readonly repo: AccessKeysRepository) {}

  /**
   * `action` is the action's text, or the request it is read from (`METHOD /route`), so that the text
   * is only built when it is written (about once a minute per key).
   */
  record(accessKeyId: string, service: string, action: string | RequestLine, region: string, now = Date.now()): void {
    const last = this.lastWritten.get(accessKeyId);
    if (last !== undefined && now - last < LAST_USED_WRITE_INTERVAL_MS) return;
    this.lastWritten.set(accessKeyId, now);
    if (this.lastWritten.size > 100_000) this.lastWritten.clear();
    void this.repo.recordLastUsed(accessKeyId, new Date(now), service, typeof action === 'string' ? action : `${action.method} ${action.routeOptions?.url ?? ''}`, region).catch((e: unknown) => {
      this.lastWritten.delete(accessKeyId);
      this.logger.warn(`could not record last use of ${accessKeyId}: ${(e as Error).message}`);
    });
  }
}
