import { Injectable } from '@nestjs/common';
import type { AuthContext, ClientInfo } from '../../common/auth/auth-context.js';
import { PrismaService, type Tx } from '../../db/prisma.service.js';
import type { SqlSession } from '../../db/sql-driver.js';
import { AuditRepository, type ChainHead, type NewAuditRecord, type PreparedAppend } from './audit.repository.js';

export type AuditOutcome = 'success' | 'denied' | 'error';

/** The chain of events outside any account (operators, unknown accounts). */
export const PLATFORM_CHAIN = 'platform';

export interface AuditActor {
  arn: string;
  type: string;
  accessKeyId?: string;
  sessionName?: string;
  sourceIdentity?: string;
  mfa?: boolean;
}

export interface AuditEntry {
  /** Account ID, or PLATFORM_CHAIN. */
  chain: string;
  action: string;
  outcome: AuditOutcome;
  errorCode?: string;
  actor?: AuditActor | null;
  resourceArn?: string | null;
  client: ClientInfo;
  /** Never a secret, password, token or MFA code. */
  details?: Record<string, unknown>;
}

export function actorOf(auth: AuthContext): AuditActor {
  return {
    arn: auth.principal.arn,
    type: auth.principal.kind,
    accessKeyId: auth.accessKeyId,
    // Role sessions are named by their session name, federated users by the name they were given.
    sessionName: auth.principal.kind === 'AssumedRole' || auth.principal.kind === 'FederatedUser' ? auth.principal.name : undefined,
    sourceIdentity: auth.session?.sourceIdentity,
    mfa: auth.mfa.present,
  };
}

/**
 * The one way to write audit records. `append` joins the caller's transaction
 * (the change and its record commit together, or neither); `record` is for
 * events with no change attached (refusals, failed sign-ins).
 */
@Injectable()
export class AuditService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly repo: AuditRepository,
  ) {}

  async append(tx: Tx, e: AuditEntry): Promise<void> {
    await this.repo.append(tx, toRecord(e));
  }

  /** Records of one or more chains in one go (group commit); see AuditRepository.appendBatch. Returns the new heads. */
  appendBatch(s: SqlSession, entries: AuditEntry[]): Promise<Map<string, ChainHead>> {
    return this.repo.appendBatch(s, byChain(entries));
  }

  /**
   * Records of one or more chains chained onto the heads the caller expects,
   * to be written in one statement (see AuditRepository.prepareOnHeads).
   */
  prepareOnHeads(entries: AuditEntry[], expected: Map<string, ChainHead>): PreparedAppend {
    return this.repo.prepareOnHeads(byChain(entries), expected);
  }

  async record(e: AuditEntry): Promise<void> {
    await this.prisma.transaction((tx) => this.append(tx, e));
  }

  createChain(tx: Tx, chain: string): Promise<void> {
    return this.repo.createChain(tx, chain);
  }
}

function byChain(entries: AuditEntry[]): Map<string, NewAuditRecord[]> {
  const out = new Map<string, NewAuditRecord[]>();
  for (const e of entries) {
    const list = out.get(e.chain);
    if (list) list.push(toRecord(e));
    else out.set(e.chain, [toRecord(e)]);
  }
  return out;
}

function toRecord(e: AuditEntry): NewAuditRecord {
  return {
    chain: e.chain,
    time: new Date(),
    actorArn: e.actor?.arn ?? null,
    actorType: e.actor?.type ?? null,
    accessKeyId: e.actor?.accessKeyId ?? null,
    sessionName: e.actor?.sessionName ?? null,
    sourceIdentity: e.actor?.sourceIdentity ?? null,
    mfa: e.actor?.mfa ?? false,
    action: e.action,
    resourceArn: e.resourceArn ?? null,
    outcome: e.outcome,
    errorCode: e.errorCode ?? null,
    sourceIp: e.client.sourceIp ?? null,
    userAgent: e.client.userAgent ?? null,
    requestId: e.client.requestId ?? null,
    details: e.details ?? null,
  };
}
