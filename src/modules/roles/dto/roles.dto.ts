import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsObject, IsOptional, IsString, Length, Max, Min, ValidateBy } from 'class-validator';

export const MIN_MAX_SESSION_DURATION = 3600;
export const MAX_MAX_SESSION_DURATION = 43_200;

const isPlainObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** A policy document given either as a JSON object or as its JSON text (as AWS's AssumeRolePolicyDocument). */
const IsPolicyObjectOrString = () =>
  ValidateBy({
    name: 'isPolicyObjectOrString',
    validator: {
      validate: (v: unknown) => typeof v === 'string' || isPlainObject(v),
      defaultMessage: (args) => `${args?.property ?? 'document'} must be a policy document: a JSON object, or its JSON text`,
    },
  });

/** Tags as `{ "key": "value" }` or AWS's `[{ "Key": "k", "Value": "v" }]`. Keys and values are checked by the service. */
const IsTagsInput = () =>
  ValidateBy({
    name: 'isTagsInput',
    validator: {
      validate: (v: unknown) =>
        Array.isArray(v)
          ? v.every((t) => isPlainObject(t) && typeof t.Key === 'string' && typeof t.Value === 'string' && Object.keys(t).every((k) => k === 'Key' || k === 'Value'))
          : isPlainObject(v) && Object.values(v).every((x) => typeof x === 'string'),
      defaultMessage: () => 'tags must be an object of string values ({"key": "value"}) or an array of {"Key": "...", "Value": "..."}',
    },
  });

/** A string, or null to clear the value (PATCH). */
const IsStringOrNull = () =>
  ValidateBy({
    name: 'isStringOrNull',
    validator: {
      validate: (v: unknown) => v === null || typeof v === 'string',
      defaultMessage: (args) => `${args?.property ?? 'value'} must be a string or null`,
    },
  });

export type TagsInput = Record<string, string> | { Key: string; Value: string }[];

export class CreateRoleDto {
  @ApiProperty({ example: 'deploy' }) @IsString() @Length(1, 64) roleName!: string;
  @ApiPropertyOptional({ example: '/' }) @IsOptional() @IsString() @Length(1, 512) path?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @Length(0, 1000) description?: string;

  @ApiPropertyOptional({ minimum: MIN_MAX_SESSION_DURATION, maximum: MAX_MAX_SESSION_DURATION, default: MIN_MAX_SESSION_DURATION, description: 'Seconds' })
  @IsOptional()
  @IsInt()
  @Min(MIN_MAX_SESSION_DURATION)
  @Max(MAX_MAX_SESSION_DURATION)
  maxSessionDuration?: number;

  @ApiProperty({ description: 'Trust policy (JSON object or its JSON text): who may assume the role, on which conditions' })
  @IsPolicyObjectOrString()
  assumeRolePolicyDocument!: Record<string, unknown> | string;

  @ApiPropertyOptional({ description: '{"key": "value"} or [{"Key": "...", "Value": "..."}]' })
  @IsOptional()
  @IsTagsInput()
  tags?: TagsInput;

  @ApiPropertyOptional({ description: 'Web identity: {"sessionTags": {"<tag key>": "<claim>"}, "sourceIdentity": "<claim>"}' })
  @IsOptional()
  @IsObject()
  claimMapping?: Record<string, unknown>;

  @ApiPropertyOptional({ description: 'Upstream mode: the AWS role whose real credentials sessions of this role get (the account must be linked to AWS)' })
  @IsOptional()
  @IsString()
  @Length(1, 2048)
  awsRoleArn?: string;
}

export class UpdateRoleDto {
  @ApiPropertyOptional() @IsOptional() @IsString() @Length(0, 1000) description?: string;

  @ApiPropertyOptional({ minimum: MIN_MAX_SESSION_DURATION, maximum: MAX_MAX_SESSION_DURATION })
  @IsOptional()
  @IsInt()
  @Min(MIN_MAX_SESSION_DURATION)
  @Max(MAX_MAX_SESSION_DURATION)
  maxSessionDuration?: number;

  @ApiPropertyOptional({ description: 'Replaces the claim mapping ({} clears it)' })
  @IsOptional()
  @IsObject()
  claimMapping?: Record<string, unknown>;

  @ApiPropertyOptional({ nullable: true, description: 'Binds the role to an AWS role (upstream mode); null unbinds it' })
  @IsOptional()
  @IsStringOrNull()
  @Length(1, 2048)
  awsRoleArn?: string | null;
}

export class TrustPolicyDto {
  @ApiProperty({ description: 'Trust policy (JSON object or its JSON text)' })
  @IsPolicyObjectOrString()
  document!: Record<string, unknown> | string;
}

export class ListRolesQueryDto {
  @ApiPropertyOptional() @IsOptional() @IsString() @Length(1, 512) pathPrefix?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @Length(1, 128) marker?: string;
  @ApiPropertyOptional() @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(1000) maxItems?: number;
}
