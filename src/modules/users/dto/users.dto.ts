import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsArray, IsBoolean, IsInt, IsOptional, IsString, Length, Max, Min, ValidateNested, ArrayMaxSize } from 'class-validator';

export class TagDto {
  @ApiProperty() @IsString() @Length(1, 128) key!: string;
  @ApiProperty() @IsString() @Length(0, 256) value!: string;
}

export class CreateUserDto {
  @ApiProperty() @IsString() @Length(1, 64) userName!: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @Length(1, 512) path?: string;
  @ApiPropertyOptional({ type: [TagDto] }) @IsOptional() @IsArray() @ArrayMaxSize(50) @ValidateNested({ each: true }) @Type(() => TagDto) tags?: TagDto[];
  @ApiPropertyOptional({ description: 'Upstream mode: the AWS IAM user this user mirrors (the account must be linked to AWS)' }) @IsOptional() @IsString() @Length(1, 64) awsUserName?: string;
}

export class UpdateUserDto {
  @ApiPropertyOptional() @IsOptional() @IsString() @Length(1, 64) newUserName?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @Length(1, 512) newPath?: string;
}

export class ListUsersQueryDto {
  @ApiPropertyOptional() @IsOptional() @IsString() @Length(1, 512) pathPrefix?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @Length(1, 128) marker?: string;
  @ApiPropertyOptional() @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(1000) maxItems?: number;
}

export class TagUserDto {
  @ApiProperty({ type: [TagDto] }) @IsArray() @ArrayMaxSize(50) @ValidateNested({ each: true }) @Type(() => TagDto) tags!: TagDto[];
}

export class UntagUserDto {
  @ApiProperty({ type: [String] }) @IsArray() @ArrayMaxSize(50) @IsString({ each: true }) tagKeys!: string[];
}

export class CreateLoginProfileDto {
  @ApiProperty() @IsString() @Length(1, 512) password!: string;
  @ApiPropertyOptional({ description: 'Must change the password at next sign-in' }) @IsOptional() @IsBoolean() passwordResetRequired?: boolean;
}

export class UpdateLoginProfileDto {
  @ApiPropertyOptional() @IsOptional() @IsString() @Length(1, 512) password?: string;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() passwordResetRequired?: boolean;
}

export const tagsToRecord = (tags: TagDto[] = []) => Object.fromEntries(tags.map((t) => [t.key, t.value]));
