import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsISO8601, IsOptional, IsString, Matches, Max, Min, ValidateIf } from 'class-validator';

export class AuditExportQueryDto {
  @ApiPropertyOptional({ description: 'Records at or after this time (ISO 8601)' }) @IsOptional() @IsISO8601({ strict: true }) from?: string;
  @ApiPropertyOptional({ description: 'Records at or before this time (ISO 8601)' }) @IsOptional() @IsISO8601({ strict: true }) to?: string;
}

export class ListDigestsQueryDto {
  @ApiPropertyOptional({ description: 'Digests after this digestSeq' }) @IsOptional() @IsString() @Matches(/^\d{1,18}$/) after?: string;
  @ApiPropertyOptional() @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(1000) maxItems?: number;
}

export class RetentionDto {
  @ApiProperty({ description: 'Days to keep audit records (1-36500), or null to keep them forever', nullable: true, type: Number })
  @ValidateIf((_o, v) => v !== null)
  @IsInt()
  @Min(1)
  @Max(36500)
  retentionDays!: number | null;
}
