import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { NestFactory } from '@nestjs/core';
import { AppModule } from '../app.module.js';
import type { AuthContext, ClientInfo } from '../common/auth/auth-context.js';
import { generateMasterKeySpec } from '../common/crypto/secret-box.js';
import { DomainError } from '../common/errors/domain-error.js';
import { MIGRATIONS_DIR } from '../common/paths.js';
import { ConfigError, loadConfig } from '../config/app-config.js';
import { MigrationError, Migrator } from '../db/migrator.js';
import { PrismaService } from '../db/prisma.service.js';
import { openSqlDriver } from '../db/sql-driver.js';
import { AccountsService } from '../modules/accounts/accounts.service.js';
import { OperatorsService, operatorArn } from '../modules/operators/operators.service.js';
import { MasterKeyRotationService } from '../modules/secrets/master-key-rotation.service.js';

/**
 * The operator CLI: commands that load the configuration and open the database.
 * (`credential-process` and `exec` are dispatched by main.ts before any of this loads.)
 */
export const USAGE = `credbroker <command> [options]

  migrate                         apply pending migrations (also done at start-up)
  migrate status                  list applied and pending migrations
  bootstrap [--name admin]        create the first platform operator; prints its token once
  operator create --name NAME     add another platform operator; prints its token once
  account create --name NAME --email EMAIL [--alias ALIAS]
                                  create an account; the root password is read from stdin
  outbox [--to EMAIL]             show the embedded mailer's outgoing mail (e.g. reset tokens)
  keygen [--id ID]                print a new master key for MASTER_KEY
  rotate-master-key               re-encrypt every secret at rest under MASTER_KEY
                                  (run with MASTER_KEYS_OLD=<previous key>)
  audit verify|digest|prune|public-key …
                                  audit chain integrity (credbroker audit --help)

  credential-process --endpoint URL [--role-arn ARN ...]
                                  print temporary credentials from a running broker
                                  (AWS credential_process format); --help for options
  exec --endpoint URL [...] -- CMD [ARGS...]
                                  run CMD with temporary credentials in its environment

Configuration comes from the environment (see README: DATABASE_URL, DATA_DIR, MASTER_KEY…);
credential-process and exec only talk to a broker over HTTP (docs/credentials-for-tools.md).`;

const cliClient = (): ClientInfo => ({ requestId: `cli-${randomUUID()}`, sourceIp: 'cli', userAgent: 'credbroker-cli' });

const cliOperator = (): AuthContext => ({
  method: 'operator-token',
  accountId: null,
  principal: { kind: 'Operator', id: 'cli', arn: operatorArn('cli'), name: 'cli', userId: 'cli' },
  mfa: { present: false },
  tags: {},
});

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write('Root password (input is not hidden; prefer piping it): ');
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

async function withApp<T>(fn: (get: <S>(cls: new (...a: never[]) => S) => S) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const driver = await openSqlDriver(config.database);
  try {
    await new Migrator(driver, MIGRATIONS_DIR).migrate((m) => process.stderr.write(`${m}\n`));
    const ctx = await NestFactory.createApplicationContext(AppModule.forRoot(config, driver), { logger: ['error', 'warn'] });
    try {
      return await fn((cls) => ctx.get(cls));
    } finally {
      await ctx.close();
    }
  } finally {
    await driver.close();
  }
}

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { name: { type: 'string' }, email: { type: 'string' }, alias: { type: 'string' }, to: { type: 'string' }, id: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  const [cmd, sub] = positionals;
  if (!cmd || values.help) {
    process.stdout.write(USAGE + '\n');
    return cmd ? 0 : 2;
  }
  switch (cmd) {
    case 'keygen':
      process.stdout.write(generateMasterKeySpec(values.id) + '\n');
      return 0;
    case 'migrate': {
      const config = loadConfig();
      const driver = await openSqlDriver(config.database);
      try {
        const m = new Migrator(driver, MIGRATIONS_DIR);
        if (sub === 'status') {
          const s = await m.status();
          process.stdout.write(JSON.stringify(s, null, 2) + '\n');
          return s.pending.length ? 1 : 0;
        }
        const applied = await m.migrate((msg) => process.stderr.write(`${msg}\n`));
        process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'database is up to date\n');
        return 0;
      } finally {
        await driver.close();
      }
    }
    case 'bootstrap':
    case 'operator': {
      if (cmd === 'operator' && sub !== 'create') break;
      const name = values.name ?? (cmd === 'bootstrap' ? 'admin' : undefined);
      if (!name) throw DomainError.validation('--name is required');
      const op = await withApp((get) => get(OperatorsService).create(name, cliClient(), { requireEmpty: cmd === 'bootstrap' }));
      process.stdout.write(
        `Platform operator "${op.name}" created. Its token is shown this once; store it now:\n\n${op.token}\n\n` +
          `Use it as: Authorization: Bearer <token>\n`,
      );
      return 0;
    }
    case 'account': {
      if (sub !== 'create') break;
      if (!values.name || !values.email) throw DomainError.validation('--name and --email are required');
      const password = await readStdin();
      const a = await withApp((get) =>
        get(AccountsService).create(cliOperator(), { name: values.name!, alias: values.alias, rootEmail: values.email!, rootPassword: password }, cliClient()),
      );
      process.stdout.write(JSON.stringify(a, null, 2) + '\n');
      return 0;
    }
    case 'rotate-master-key': {
      const r = await withApp((get) => get(MasterKeyRotationService).reencryptAll());
      process.stdout.write(`re-encrypted ${r.accessKeys} access-key secrets, ${r.mfaSeeds} MFA seeds and ${r.auditSigningKeys} audit signing keys under the current MASTER_KEY\n`);
      if (r.undecryptable) {
        process.stderr.write(`credbroker: ${r.undecryptable} secrets are under a key not in MASTER_KEY/MASTER_KEYS_OLD and were left as they are; add that key to MASTER_KEYS_OLD and run again\n`);
        return 1;
      }
      return 0;
    }
    case 'outbox': {
      const rows = await withApp((get) =>
        get(PrismaService).outboxMail.findMany({ where: values.to ? { toAddress: values.to.toLowerCase() } : {}, orderBy: { createdAt: 'desc' }, take: 20 }),
      );
      for (const r of rows) process.stdout.write(`--- ${r.createdAt.toISOString()} to ${r.toAddress}: ${r.subject}\n${r.body}\n`);
      return 0;
    }
  }
  process.stderr.write(`unknown command: ${positionals.join(' ')}\n\n${USAGE}\n`);
  return 2;
}

/** Runs one operator command and exits with its status. */
export function runAdminCli(argv: string[]): Promise<never> {
  return main(argv).then(
    (code) => process.exit(code),
    (e: unknown) => {
      const known = e instanceof ConfigError || e instanceof MigrationError || e instanceof DomainError;
      process.stderr.write(`credbroker: ${known ? (e as Error).message : ((e as Error)?.stack ?? String(e))}\n`);
      process.exit(1);
    },
  );
}
