import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsBoolean, IsInt, IsOptional, IsString, Length, Max, Min } from 'class-validator';

export class CreateAccountDto {
  @ApiProperty() @IsString() @Length(1, 128) name!: string;
  @ApiPropertyOptional({ description: 'AWS alias rules: 3-63 lowercase letters, digits, hyphens' }) @IsOptional() @IsString() @Length(1, 63) alias?: string;
  @ApiProperty() @IsString() @Length(3, 254) rootEmail!: string;
  @ApiProperty() @IsString() @Length(1, 512) rootPassword!: string;
  @ApiPropertyOptional({ description: 'Lock root access keys (default true; false is the explicit opt-out)' }) @IsOptional() @IsBoolean() lockRootAccessKeys?: boolean;
}

export class ListQueryDto {
  @ApiPropertyOptional() @IsOptional() @IsString() @Length(1, 256) marker?: string;
  @ApiPropertyOptional() @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(1000) maxItems?: number;
}

export class UpdateAccountDto {
  @ApiPropertyOptional() @IsOptional() @IsString() @Length(1, 128) name?: string;
  @ApiPropertyOptional({ description: 'Root must use MFA: without a device it can only enroll one' }) @IsOptional() @IsBoolean() requireRootMfa?: boolean;
  @ApiPropertyOptional({ description: 'Principals with administrative permissions must use MFA' }) @IsOptional() @IsBoolean() requireAdminMfa?: boolean;
  @ApiPropertyOptional({ description: 'Root access keys: none can be created and existing ones stop authenticating' }) @IsOptional() @IsBoolean() lockRootAccessKeys?: boolean;
  @ApiPropertyOptional({ description: 'Flag access keys older than this many days (null: no limit)', nullable: true }) @IsOptional() @IsInt() @Min(1) @Max(3650) maxAccessKeyAgeDays?: number | null;
}

export class AwsLinkDto {
  @ApiProperty({ description: '12-digit AWS account ID, or null to unlink', nullable: true }) @IsOptional() @IsString() @Length(12, 12) awsAccountId!: string | null;
}

export class AccountAliasDto {
  @ApiProperty() @IsString() @Length(1, 63) alias!: string;
}

export class ChangeRootEmailDto {
  @ApiProperty() @IsString() @Length(3, 254) newEmail!: string;
  @ApiProperty({ description: 'The current root password, to confirm' }) @IsString() @Length(1, 512) password!: string;
}

export class PasswordPolicyDto {
  @ApiPropertyOptional() @IsOptional() @IsInt() @Min(6) @Max(128) minimumPasswordLength?: number;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() requireSymbols?: boolean;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() requireNumbers?: boolean;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() requireUppercaseCharacters?: boolean;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() requireLowercaseCharacters?: boolean;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() allowUsersToChangePassword?: boolean;
  @ApiPropertyOptional({ description: 'Days (1-1095)' }) @IsOptional() @IsInt() @Min(1) @Max(1095) maxPasswordAge?: number;
  @ApiPropertyOptional({ description: 'Remember the last N passwords (1-24)' }) @IsOptional() @IsInt() @Min(1) @Max(24) passwordReusePrevention?: number;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() hardExpiry?: boolean;
}

export class ChangePasswordDto {
  @ApiProperty() @IsString() @Length(1, 512) oldPassword!: string;
  @ApiProperty() @IsString() @Length(1, 512) newPassword!: string;
}
