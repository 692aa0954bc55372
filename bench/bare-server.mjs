// A bare NestJS + Fastify app with one JSON route: the baseline the broker is compared to.
// Plain JS (decorators applied by hand) so it runs without a build step.
import 'reflect-metadata';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';

class BareController {
  bare() {
    return { account: '123456789012', arn: 'arn:aws:iam::123456789012:user/bench', userId: 'AIDAEXAMPLEEXAMPLE123' };
  }
}
Get('bare')(BareController.prototype, 'bare', Object.getOwnPropertyDescriptor(BareController.prototype, 'bare'));
Controller()(BareController);

class BareModule {}
Module({ controllers: [BareController] })(BareModule);

const app = await NestFactory.create(BareModule, new FastifyAdapter(), { logger: false });
await app.listen({ port: Number(process.env.PORT ?? 18091), host: '127.0.0.1' });
