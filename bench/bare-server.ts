// A bare NestJS + Fastify app with one JSON route: the baseline the broker is compared to.
import 'reflect-metadata';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';

@Controller()
class BareController {
  @Get('bare')
  bare() {
    return { account: '123456789012', arn: 'arn:aws:iam::123456789012:user/bench', userId: 'AIDAEXAMPLEEXAMPLE123' };
  }
}

@Module({ controllers: [BareController] })
class BareModule {}

const app = await NestFactory.create<NestFastifyApplication>(BareModule, new FastifyAdapter(), { logger: false });
await app.listen({ port: Number(process.env.PORT ?? 18091), host: '127.0.0.1' });
process.stdout.write('ready\n');
