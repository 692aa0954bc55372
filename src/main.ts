import { ConfigError, loadConfig } from './config/app-config.js';
import { MigrationError } from './db/migrator.js';
import { createApp } from './app.factory.js';

async function main() {
  const config = loadConfig();
  const app = await createApp(config);
  await app.listen({ host: config.host, port: config.port });
}

main().catch((e: unknown) => {
  if (e instanceof ConfigError || e instanceof MigrationError) {
    process.stderr.write(`credbroker: cannot start: ${e.message}\n`);
  } else {
    process.stderr.write(`credbroker: cannot start: ${(e as Error)?.stack ?? String(e)}\n`);
  }
  process.exit(1);
});
