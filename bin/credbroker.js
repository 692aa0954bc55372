#!/usr/bin/env node
// `npx credbroker …`: runs the compiled CLI (build it first with `npm run build`).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url));
if (!existsSync(cli)) {
  process.stderr.write('credbroker: not built yet; run `npm run build` first\n');
  process.exit(1);
}
await import(cli);
