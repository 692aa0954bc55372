import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length, Matches } from 'class-validator';

export class CreateMfaDeviceDto {
  @ApiProperty() @IsString() @Length(1, 226) deviceName!: string;
}

export class EnableMfaDeviceDto {
  @ApiProperty() @IsString() @Length(9, 512) serialNumber!: string;
  @ApiProperty() @IsString() @Matches(/^\d{6}$/, { message: 'authenticationCode1 must be 6 digits' }) authenticationCode1!: string;
  @ApiProperty() @IsString() @Matches(/^\d{6}$/, { message: 'authenticationCode2 must be 6 digits' }) authenticationCode2!: string;
}

export class MfaSerialDto {
  @ApiProperty() @IsString() @Length(9, 512) serialNumber!: string;
}
