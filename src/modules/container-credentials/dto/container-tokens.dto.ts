import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsInt, IsOptional, IsString, Length, Matches, Max, Min, ValidateBy } from 'class-validator';

/** Session duration of the credentials the endpoint hands out (AssumeRole's DurationSeconds range). */
export const MIN_DURATION_SECONDS = 900;
export const MAX_DURATION_SECONDS = 43_200;
export const DEFAULT_DURATION_SECONDS = 3600;
/** A token lives at most a year. */
export const MAX_TOKEN_LIFETIME_SECONDS = 365 * 24 * 3600;

/** A session policy given either as a JSON object or as its JSON text (as AWS's `Policy` parameter). */
const IsPolicyObjectOrString = () =>
  ValidateBy({
    name: 'isPolicyObjectOrString',
    validator: {
      validate: (v: unknown) => typeof v === 'string' || (v !== null && typeof v === 'object' && !Array.isArray(v)),
      defaultMessage: () => 'policy must be a policy document: a JSON object, or its JSON text',
    },
  });

export class CreateContainerTokenDto {
  @ApiProperty({ description: 'Name of the token; also the role session name of the credentials it obtains', example: 'build-runner' })
  @IsString()
  // 2, not 1: the name is also the RoleSessionName, which STS wants at least 2 characters long.
  @Matches(/^[\w+=,.@-]{2,64}$/, { message: 'name must be 2-64 characters of letters, digits and +=,.@_- (it is also the role session name)' })
  name!: string;

  @ApiProperty({ description: 'The role (in this account) whose credentials the endpoint hands out', example: 'arn:aws:iam::123456789012:role/ci' })
  @IsString()
  @Length(20, 2048)
  roleArn!: string;

  @ApiPropertyOptional({ description: 'Session policy (JSON object or text) that further restricts the credentials' })
  @IsOptional()
  @IsPolicyObjectOrString()
  policy?: Record<string, unknown> | string;

  @ApiPropertyOptional({ description: 'Managed policy ARNs used as session policies', type: [String] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(10)
  @IsString({ each: true })
  @Length(20, 2048, { each: true })
  policyArns?: string[];

  @ApiPropertyOptional({ description: 'Lifetime of each set of credentials, seconds', minimum: MIN_DURATION_SECONDS, maximum: MAX_DURATION_SECONDS, default: DEFAULT_DURATION_SECONDS })
  @IsOptional()
  @IsInt()
  @Min(MIN_DURATION_SECONDS)
  @Max(MAX_DURATION_SECONDS)
  durationSeconds?: number;

  @ApiPropertyOptional({ description: 'Lifetime of the token itself, seconds (at most 365 days); unset = until revoked', maximum: MAX_TOKEN_LIFETIME_SECONDS })
  @IsOptional()
  @IsInt()
  @Min(60)
  @Max(MAX_TOKEN_LIFETIME_SECONDS)
  expiresInSeconds?: number;
}
