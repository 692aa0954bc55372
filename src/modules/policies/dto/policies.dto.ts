import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsObject, IsOptional, IsString, Length } from 'class-validator';

export class CreatePolicyDto {
  @ApiProperty() @IsString() @Length(1, 128) policyName!: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @Length(1, 512) path?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @Length(0, 1000) description?: string;
  @ApiProperty({ description: 'IAM policy document (JSON object)' }) @IsObject() document!: Record<string, unknown>;
}

export class PolicyDocumentDto {
  @ApiProperty({ description: 'IAM policy document (JSON object)' }) @IsObject() document!: Record<string, unknown>;
}

export class AttachPolicyDto {
  @ApiProperty({ example: 'arn:aws:iam::aws:policy/IAMUserChangePassword' }) @IsString() @Length(20, 2048) policyArn!: string;
}

export class ListPoliciesQueryDto {
  @ApiPropertyOptional({ enum: ['All', 'AWS', 'Local'] }) @IsOptional() @IsIn(['All', 'AWS', 'Local']) scope?: 'All' | 'AWS' | 'Local';
}
