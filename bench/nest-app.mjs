// The bare NestJS + Fastify app the SigV4 bench compares the broker with: one hand-decorated
// controller (plain JS, decorators applied by hand, so it runs without a build step), no logger.
import 'reflect-metadata';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';

/** `@Get(path)` on `cls.prototype[method]`. */
export function get(cls, method, path) {
  Get(path)(cls.prototype, method, Object.getOwnPropertyDescriptor(cls.prototype, method));
}

/** Serves `cls` as the app's only controller on 127.0.0.1:`port`. */
export async function serveController(cls, port) {
  Controller()(cls);
  class BenchModule {}
  Module({ controllers: [cls] })(BenchModule);
  const app = await NestFactory.create(BenchModule, new FastifyAdapter(), { logger: false });
  await app.listen({ port, host: '127.0.0.1' });
}
