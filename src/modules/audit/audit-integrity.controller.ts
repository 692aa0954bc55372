import { Body, Controller, Get, HttpCode, Param, Post, Put, Query, StreamableFile } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { AuthContext, ClientInfo } from '../../common/auth/auth-context.js';
import { Authorize, Client, CurrentAuth, Public } from '../../common/auth/auth.decorators.js';
import { Res } from '../../common/auth/resource.js';
import { digestToJson } from '../../common/audit/digest.js';
import { DomainError } from '../../common/errors/domain-error.js';
import { actorOf } from './audit.service.js';
import { AuditDigestService } from './audit-digest.service.js';
import { AuditExportService } from './audit-export.service.js';
import { AuditRetentionService } from './audit-retention.service.js';
import { AuditExportQueryDto, ListDigestsQueryDto, RetentionDto } from './dto/audit-integrity.dto.js';

const dateOf = (s: string | undefined): Date | undefined => {
  if (s === undefined) return undefined;
  const d = new Date(s);
  if (Number.isNaN(d.getTime())) throw DomainError.validation('from and to must be ISO 8601 times.');
  return d;
};

/** Audit integrity over REST: signed digests, public keys, export, retention. Rules live in the services. */
@ApiTags('audit')
@ApiBearerAuth()
@Controller('v1')
export class AuditIntegrityController {
  constructor(
    private readonly digests: AuditDigestService,
    private readonly exporter: AuditExportService,
    private readonly retention: AuditRetentionService,
  ) {}

  /** The keys that sign digests (public: anyone holding an export can verify it). */
  @Get('audit/public-keys')
  @Public()
  async publicKeys() {
    return { keys: await this.digests.publicKeys() };
  }

  @Get('accounts/:accountId/audit/digests')
  @Authorize('audit:ListDigests', Res.account())
  async listDigests(@Param('accountId') accountId: string, @Query() q: ListDigestsQueryDto) {
    const max = q.maxItems ?? 100;
    const list = await this.digests.listDigests(accountId, q.after !== undefined ? BigInt(q.after) : undefined, max + 1);
    const page = list.slice(0, max);
    return { digests: page.map(digestToJson), isTruncated: list.length > max, marker: list.length > max ? page.at(-1)!.digestSeq.toString() : undefined };
  }

  @Post('accounts/:accountId/audit/digests')
  @HttpCode(201)
  @Authorize('audit:CreateDigest', Res.account())
  async createDigest(@Param('accountId') accountId: string) {
    return digestToJson((await this.digests.createDigest(accountId))!);
  }

  @Get('accounts/:accountId/audit/export')
  @Authorize('audit:Export', Res.account())
  async export(@Param('accountId') accountId: string, @Query() q: AuditExportQueryDto) {
    const from = dateOf(q.from);
    const to = dateOf(q.to);
    if (from && to && from > to) throw DomainError.validation('from must not be after to.');
    const stream = await this.exporter.export(accountId, from, to);
    return new StreamableFile(stream, { type: 'application/x-ndjson', disposition: `attachment; filename="audit-${accountId}.ndjson"` });
  }

  @Get('accounts/:accountId/audit/retention')
  @Authorize('audit:GetRetention', Res.account())
  getRetention(@Param('accountId') accountId: string) {
    return this.retention.get(accountId);
  }

  @Put('accounts/:accountId/audit/retention')
  @Authorize('audit:ManageRetention', Res.account())
  putRetention(@CurrentAuth() auth: AuthContext, @Param('accountId') accountId: string, @Body() dto: RetentionDto, @Client() client: ClientInfo) {
    return this.retention.set(accountId, dto.retentionDays ?? null, actorOf(auth), client);
  }

  @Post('accounts/:accountId/audit/prune')
  @HttpCode(200)
  @Authorize('audit:ManageRetention', Res.account())
  prune(@CurrentAuth() auth: AuthContext, @Param('accountId') accountId: string, @Client() client: ClientInfo) {
    return this.retention.prune(accountId, actorOf(auth), client);
  }
}
