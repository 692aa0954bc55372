// The floor for a SigV4-authenticated route: the bare NestJS + Fastify app of bare-server.mjs whose one
// route verifies AWS Signature V4 with the broker's own verifier (dist/src/common/sigv4, so `npm run
// build` first) against one key held in memory (FLOOR_ACCESS_KEY_ID / FLOOR_SECRET_ACCESS_KEY, which the
// bench sets to AWS's documentation example key). No hooks, guard, key lookup, policy, metrics or logging:
// what any SigV4 route costs on this machine before the broker adds anything. Plain JS, like the bare app.
import 'reflect-metadata';
import { Controller, Get, Module, Req } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { headersFromRaw, parseSigV4, SigV4Error, verifySigV4 } from '../dist/src/common/sigv4/index.js';

const FLOOR_KEY = { accessKeyId: process.env.FLOOR_ACCESS_KEY_ID, secretAccessKey: process.env.FLOOR_SECRET_ACCESS_KEY };
if (!FLOOR_KEY.accessKeyId || !FLOOR_KEY.secretAccessKey) throw new Error('set FLOOR_ACCESS_KEY_ID and FLOOR_SECRET_ACCESS_KEY');

class FloorController {
  callerIdentity(req) {
    const url = req.raw.url ?? '/';
    const q = url.indexOf('?');
    const r = { method: req.method, path: q === -1 ? url : url.slice(0, q), query: q === -1 ? '' : url.slice(q + 1), headers: headersFromRaw(req.raw.rawHeaders), body: undefined };
    const parsed = parseSigV4(r);
    if (!parsed || parsed.credential.accessKeyId !== FLOOR_KEY.accessKeyId) throw new SigV4Error('InvalidClientTokenId', 'unknown key');
    verifySigV4(r, parsed, FLOOR_KEY.secretAccessKey, { now: new Date(), allowedRegions: '*' });
    return { account: '123456789012', arn: 'arn:aws:iam::123456789012:user/bench', userId: 'AIDAEXAMPLEEXAMPLE123' };
  }
}
Req()(FloorController.prototype, 'callerIdentity', 0);
Get('v1/caller-identity')(FloorController.prototype, 'callerIdentity', Object.getOwnPropertyDescriptor(FloorController.prototype, 'callerIdentity'));
Controller()(FloorController);

class FloorModule {}
Module({ controllers: [FloorController] })(FloorModule);

const app = await NestFactory.create(FloorModule, new FastifyAdapter(), { logger: false });
await app.listen({ port: Number(process.env.PORT ?? 18092), host: '127.0.0.1' });
