import { Global, Module } from '@nestjs/common';
import { AuditRepository } from './audit.repository.js';
import { AuditService } from './audit.service.js';
import { AuditDigestRepository } from './audit-digest.repository.js';
import { AuditDigestService } from './audit-digest.service.js';
import { AuditExportService } from './audit-export.service.js';
import { AuditIntegrityController } from './audit-integrity.controller.js';
import { AuditRetentionService } from './audit-retention.service.js';
import { AuditVerifyService } from './audit-verify.service.js';
import { FailureAggregator } from './failure-aggregator.js';

@Global()
@Module({
  providers: [AuditRepository, AuditService, FailureAggregator, AuditVerifyService, AuditDigestRepository, AuditDigestService, AuditExportService, AuditRetentionService],
  controllers: [AuditIntegrityController],
  exports: [AuditService, AuditDigestRepository, FailureAggregator, AuditVerifyService, AuditDigestService, AuditExportService, AuditRetentionService],
})
export class AuditModule {}
