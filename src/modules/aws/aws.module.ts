import { Global, Module } from '@nestjs/common';
import { AwsIamGateway } from './aws-iam.gateway.js';

@Global()
@Module({ providers: [AwsIamGateway], exports: [AwsIamGateway] })
export class AwsModule {}
