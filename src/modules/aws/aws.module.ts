import { Global, Module } from '@nestjs/common';
import { AwsIamGateway } from './aws-iam.gateway.js';
import { AwsStsGateway } from './aws-sts.gateway.js';

@Global()
@Module({ providers: [AwsIamGateway, AwsStsGateway], exports: [AwsIamGateway, AwsStsGateway] })
export class AwsModule {}
