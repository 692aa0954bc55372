// The floor for a SigV4-authenticated route: the bare app of bare-server.mjs whose one route verifies
// AWS Signature V4 the way the broker does (its sigv4RequestOf, parseSigV4 and verifySigV4 from dist/,
// so `npm run build` first) against one key held in memory (FLOOR_ACCESS_KEY_ID /
// FLOOR_SECRET_ACCESS_KEY, which the bench sets to AWS's documentation example key). No hooks, guard,
// key lookup, policy, metrics or logging: what any SigV4 route costs on this machine before the broker
// adds anything.
import { Req } from '@nestjs/common';
import { parseSigV4, SigV4Error, verifySigV4 } from '../dist/src/common/sigv4/index.js';
import { sigv4RequestOf } from '../dist/src/modules/access-keys/sigv4-authenticator.service.js';
import { get, serveController } from './nest-app.mjs';

const FLOOR_KEY = { accessKeyId: process.env.FLOOR_ACCESS_KEY_ID, secretAccessKey: process.env.FLOOR_SECRET_ACCESS_KEY };
if (!FLOOR_KEY.accessKeyId || !FLOOR_KEY.secretAccessKey) throw new Error('set FLOOR_ACCESS_KEY_ID and FLOOR_SECRET_ACCESS_KEY');

class FloorController {
  callerIdentity(req) {
    const r = sigv4RequestOf(req);
    const parsed = parseSigV4(r);
    if (!parsed || parsed.credential.accessKeyId !== FLOOR_KEY.accessKeyId) throw new SigV4Error('InvalidClientTokenId', 'unknown key');
    verifySigV4(r, parsed, FLOOR_KEY.secretAccessKey, { now: new Date(), allowedRegions: '*' });
    return { account: '123456789012', arn: 'arn:aws:iam::123456789012:user/bench', userId: 'AIDAEXAMPLEEXAMPLE123' };
  }
}
Req()(FloorController.prototype, 'callerIdentity', 0);
get(FloorController, 'callerIdentity', 'v1/caller-identity');

await serveController(FloorController, Number(process.env.PORT ?? 18092));
