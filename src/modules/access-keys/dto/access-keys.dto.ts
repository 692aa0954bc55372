import { ApiPropertyOptional, ApiProperty } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Length } from 'class-validator';

export class UpdateAccessKeyDto {
  @ApiProperty({ enum: ['Active', 'Inactive'] }) @IsIn(['Active', 'Inactive']) status!: 'Active' | 'Inactive';
}

export class DeleteAccessKeyDto {
  @ApiPropertyOptional({ description: 'Must equal the access key ID (the console confirmation step)' })
  @IsOptional()
  @IsString()
  @Length(1, 32)
  confirmAccessKeyId?: string;
}

export class CreateAccessKeyQueryDto {
  @ApiPropertyOptional({ enum: ['json', 'csv'], description: 'csv: the "Download .csv file" body' }) @IsOptional() @IsIn(['json', 'csv']) format?: 'json' | 'csv';
}
