import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Length, Matches } from 'class-validator';

export class SignInDto {
  @ApiProperty({ description: '12-digit account ID or account alias' })
  @IsString()
  @Length(1, 64)
  account!: string;

  @ApiPropertyOptional({ description: 'Root user: the account email' })
  @IsOptional()
  @IsString()
  @Length(1, 254)
  email?: string;

  @ApiPropertyOptional({ description: 'IAM user: the user name' })
  @IsOptional()
  @IsString()
  @Length(1, 64)
  userName?: string;

  @ApiProperty()
  @IsString()
  @Length(1, 512)
  password!: string;

  @ApiPropertyOptional({ description: 'TOTP code, if the principal has MFA (else the answer asks for it)' })
  @IsOptional()
  @IsString()
  @Matches(/^\d{6}$/, { message: 'mfaCode must be 6 digits' })
  mfaCode?: string;
}

export class MfaChallengeDto {
  @ApiProperty()
  @IsString()
  @Length(1, 128)
  challengeToken!: string;

  @ApiProperty()
  @IsString()
  @Matches(/^\d{6}$/, { message: 'mfaCode must be 6 digits' })
  mfaCode!: string;
}

export class PasswordResetRequestDto {
  @ApiProperty()
  @IsString()
  @Length(1, 254)
  email!: string;
}

export class PasswordResetConfirmDto {
  @ApiProperty()
  @IsString()
  @Length(1, 128)
  token!: string;

  @ApiProperty()
  @IsString()
  @Length(1, 512)
  newPassword!: string;
}
