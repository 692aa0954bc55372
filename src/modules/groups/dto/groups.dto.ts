import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Length } from 'class-validator';

export class CreateGroupDto {
  @ApiProperty() @IsString() @Length(1, 128) groupName!: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @Length(1, 512) path?: string;
}
