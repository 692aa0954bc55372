import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { Equals, IsBoolean, IsIn, IsISO8601, IsInt, IsOptional, IsString, Length, Matches, Max, Min } from 'class-validator';

/** Which sessions to revoke: exactly one of accessKeyId, principalArn, roleName or all; optionally only those issued before a time. */
export class RevokeSessionsDto {
  @ApiPropertyOptional({ description: 'One session (and every session chained from it)' })
  @IsOptional()
  @IsString()
  @Length(16, 128)
  accessKeyId?: string;

  @ApiPropertyOptional({ description: 'Every session of a principal: a user, a role session, a federated user, or "<OIDC provider ARN>/<sub>"' })
  @IsOptional()
  @IsString()
  @Length(20, 2048)
  principalArn?: string;

  @ApiPropertyOptional({ description: 'Every session of a role' })
  @IsOptional()
  @IsString()
  @Matches(/^[\w+=,.@-]{1,64}$/)
  roleName?: string;

  @ApiPropertyOptional({ description: 'Every session of the account' })
  @IsOptional()
  @IsBoolean()
  @Equals(true)
  all?: true;

  @ApiPropertyOptional({ description: 'Only sessions issued before this time (RFC 3339)' })
  @IsOptional()
  @IsISO8601({ strict: true })
  issuedBefore?: string;
}

export class ListSessionsQueryDto {
  @ApiPropertyOptional() @IsOptional() @IsString() @Matches(/^[\w+=,.@-]{1,64}$/) roleName?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @Length(20, 2048) principalArn?: string;
  @ApiPropertyOptional({ description: 'Only live sessions (default true)' }) @IsOptional() @IsIn(['true', 'false']) active?: 'true' | 'false';
  @ApiPropertyOptional({ minimum: 1, maximum: 1000 }) @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(1000) limit?: number;
}

