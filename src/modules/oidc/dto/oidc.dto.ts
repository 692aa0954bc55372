import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsOptional, IsString, Length, Matches, ValidateBy } from 'class-validator';

export const MAX_CLIENT_IDS = 100;
export const MAX_THUMBPRINTS = 5;

const isPlainObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** A JWKS document: an object with a `keys` array (the keys themselves are checked by the service). */
const IsJwksDocument = (nullable: boolean) =>
  ValidateBy({
    name: 'isJwksDocument',
    validator: {
      validate: (v: unknown) => (nullable && v === null) || (isPlainObject(v) && Array.isArray(v.keys)),
      defaultMessage: (args) => `${args?.property ?? 'jwks'} must be a JWKS document: an object with a "keys" array${nullable ? ', or null' : ''}`,
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

export class CreateOidcProviderDto {
  @ApiProperty({ example: 'https://token.actions.githubusercontent.com', description: 'Issuer URL, exactly as tokens carry it in `iss` (https; a trailing slash is removed)' })
  @IsString()
  @Length(1, 255)
  url!: string;

  @ApiProperty({ type: [String], example: ['sts.amazonaws.com'], description: 'Accepted `aud` values (1-100, each 1-255 characters)' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_CLIENT_IDS)
  @IsString({ each: true })
  @Length(1, 255, { each: true })
  clientIdList!: string[];

  @ApiPropertyOptional({ description: 'Where the signing keys are fetched; default: the `jwks_uri` of <url>/.well-known/openid-configuration. Not with `jwks`.' })
  @IsOptional()
  @IsString()
  @Length(1, 2048)
  jwksUri?: string;

  @ApiPropertyOptional({ description: 'A JWKS document to use instead of fetching keys (public keys only, at most 100). Not with `jwksUri`.' })
  @IsOptional()
  @IsJwksDocument(false)
  jwks?: { keys: unknown[] };

  @ApiPropertyOptional({
    type: [String],
    description: 'Accepted for AWS compatibility (0-5 SHA-1 hex thumbprints) and ignored: the broker verifies the TLS certificate chain instead. Not stored.',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_THUMBPRINTS)
  @IsString({ each: true })
  @Matches(/^[0-9a-fA-F]{40}$/, { each: true, message: 'each thumbprint in thumbprintList must be 40 hexadecimal characters' })
  thumbprintList?: string[];
}

export class UpdateOidcProviderDto {
  @ApiPropertyOptional({ type: [String], description: 'Replaces the accepted `aud` values (1-100, each 1-255 characters)' })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_CLIENT_IDS)
  @IsString({ each: true })
  @Length(1, 255, { each: true })
  clientIdList?: string[];

  @ApiPropertyOptional({ nullable: true, description: 'Fetch keys from this URL (clears a stored `jwks`); null: back to discovery' })
  @IsOptional()
  @IsStringOrNull()
  @Length(1, 2048)
  jwksUri?: string | null;

  @ApiPropertyOptional({ nullable: true, description: 'Store this JWKS document (clears `jwksUri`); null: drop the stored keys' })
  @IsOptional()
  @IsJwksDocument(true)
  jwks?: { keys: unknown[] } | null;
}
