import 'reflect-metadata';
import { createReadStream, readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import type { KeyObject } from 'node:crypto';
import { parsePublicKey, signingKeyId, digestToJson } from '../common/audit/digest.js';
import { ExportFormatError, verifyExport } from '../common/audit/export-format.js';
import type { ClientInfo } from '../common/auth/auth-context.js';
import { DomainError } from '../common/errors/domain-error.js';

/**
 * `credbroker audit …`: chain verification (against the database, or of an
 * exported file offline with only the public key), on-demand digests, pruning.
 */
export const AUDIT_USAGE = `credbroker audit <command> [options]

  verify --account ID [--from TIME] [--to TIME] [--json]
                      verify the account's chain in the database (--account platform: the platform chain)
  verify --file EXPORT.ndjson --public-key KEY.pem [--public-key …] [--json]
                      verify an export offline: records, links, digest signatures
  digest --account ID sign the account chain's head now (a digest naming the previous one)
  public-key          print the digest signing keys (PEM)
  prune --account ID  delete records older than the account's retention period, up to
                      the last signed digest (an anchor keeps the rest verifiable)

Exit status: 0 when the chain verifies, 1 with the first broken link printed, 2 on usage errors.`;

const cliClient = (): ClientInfo => ({ requestId: `cli-${randomUUID()}`, sourceIp: 'cli', userAgent: 'credbroker-cli' });
const cliActor = { arn: 'arn:credbroker:platform::operator/cli', type: 'Operator' };

const json = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x), 2);

function timeOpt(v: string | undefined, name: string): Date | undefined {
  if (v === undefined) return undefined;
  const d = new Date(v);
  if (Number.isNaN(d.getTime())) throw new UsageError(`--${name} must be an ISO 8601 time`);
  return d;
}

class UsageError extends Error {}

interface Verification {
  ok: boolean;
  checked: number;
  firstSeq: bigint | null;
  lastSeq: bigint | null;
  brokenAt: { seq: bigint; kind: string; message: string } | null;
}

function report(v: Verification, asJson: boolean, what: string): number {
  if (asJson) {
    process.stdout.write(json(v) + '\n');
  } else if (v.ok) {
    process.stdout.write(`OK: ${what}: ${v.checked} records verified${v.firstSeq !== null ? ` (seq ${v.firstSeq}..${v.lastSeq})` : ''}\n`);
  } else {
    const b = v.brokenAt!;
    process.stdout.write(`BROKEN: ${what}: first broken link at seq ${b.seq} (${b.kind}): ${b.message}\n` + `  ${v.checked} records verified before it\n`);
  }
  return v.ok ? 0 : 1;
}

interface AuditServices {
  verify: import('../modules/audit/audit-verify.service.js').AuditVerifyService;
  digests: import('../modules/audit/audit-digest.service.js').AuditDigestService;
  retention: import('../modules/audit/audit-retention.service.js').AuditRetentionService;
}

/**
 * Opens the database (applying pending migrations) and builds the few audit
 * services by hand: no Nest application (faster, and nothing else starts).
 */
async function withServices<T>(fn: (s: AuditServices) => Promise<T>): Promise<T> {
  const [{ loadConfig }, { openSqlDriver }, { Migrator }, { MIGRATIONS_DIR }, { SecretBox }, { PrismaService }, repoMod, auditMod, digestRepoMod, digestMod, verifyMod, retentionMod] =
    await Promise.all([
      import('../config/app-config.js'),
      import('../db/sql-driver.js'),
      import('../db/migrator.js'),
      import('../common/paths.js'),
      import('../common/crypto/secret-box.js'),
      import('../db/prisma.service.js'),
      import('../modules/audit/audit.repository.js'),
      import('../modules/audit/audit.service.js'),
      import('../modules/audit/audit-digest.repository.js'),
      import('../modules/audit/audit-digest.service.js'),
      import('../modules/audit/audit-verify.service.js'),
      import('../modules/audit/audit-retention.service.js'),
    ]);
  // No periodic digests from a one-shot command.
  const config = { ...loadConfig(), auditDigestIntervalSeconds: 0 };
  const driver = await openSqlDriver(config.database);
  const prisma = new PrismaService(driver);
  try {
    await new Migrator(driver, MIGRATIONS_DIR).migrate((m) => process.stderr.write(`${m}\n`));
    const [primary, ...others] = config.masterKeys;
    const digestRepo = new digestRepoMod.AuditDigestRepository(driver);
    const verify = new verifyMod.AuditVerifyService(driver, digestRepo);
    const digests = new digestMod.AuditDigestService(driver, config, new SecretBox(primary!, others), digestRepo);
    const audit = new auditMod.AuditService(prisma, new repoMod.AuditRepository());
    const retention = new retentionMod.AuditRetentionService(driver, audit, verify);
    return await fn({ verify, digests, retention });
  } finally {
    await prisma.$disconnect().catch(() => undefined);
    await driver.close();
  }
}

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      account: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      file: { type: 'string' },
      'public-key': { type: 'string', multiple: true },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [cmd] = positionals;
  if (!cmd || values.help) {
    process.stdout.write(AUDIT_USAGE + '\n');
    return cmd ? 0 : 2;
  }
  switch (cmd) {
    case 'verify': {
      if (values.file) {
        const keyFiles = values['public-key'] ?? [];
        if (!keyFiles.length) throw new UsageError('--public-key is required with --file');
        const keys = new Map<string, KeyObject>();
        for (const f of keyFiles) {
          let k: KeyObject;
          try {
            k = parsePublicKey(readFileSync(f, 'utf8'));
          } catch (e) {
            throw new UsageError(`${f}: not an Ed25519 public key (PEM or JWK): ${(e as Error).message}`);
          }
          keys.set(signingKeyId(k), k);
        }
        const lines = createInterface({ input: createReadStream(values.file), crlfDelay: Infinity });
        const v = await verifyExport(lines, keys);
        return report(v, values.json ?? false, `export of chain ${v.chain ?? '?'} (${v.digests} digests)`);
      }
      if (!values.account) throw new UsageError('verify needs --account ID, or --file with --public-key');
      const from = timeOpt(values.from, 'from');
      const to = timeOpt(values.to, 'to');
      const v = await withServices((s) => s.verify.verify(values.account!, { from, to }));
      return report(v, values.json ?? false, `chain ${values.account}`);
    }
    case 'digest': {
      if (!values.account) throw new UsageError('digest needs --account ID');
      const d = await withServices((s) => s.digests.createDigest(values.account!));
      process.stdout.write(json(digestToJson(d!)) + '\n');
      return 0;
    }
    case 'public-key': {
      const keys = await withServices((s) => s.digests.publicKeys());
      for (const k of keys) process.stdout.write(`# ${k.keyId}${k.active ? ' (active)' : ''}\n${k.publicKeyPem.trim()}\n`);
      return 0;
    }
    case 'prune': {
      if (!values.account) throw new UsageError('prune needs --account ID');
      const r = await withServices((s) => s.retention.prune(values.account!, cliActor, cliClient()));
      process.stdout.write(json(r) + '\n');
      return 0;
    }
  }
  throw new UsageError(`unknown audit command: ${cmd}`);
}

/** Runs `credbroker audit …` and returns its exit status. */
export async function runAuditCli(argv: string[]): Promise<number> {
  try {
    return await main(argv);
  } catch (e) {
    if (e instanceof UsageError || (e as { code?: string })?.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      process.stderr.write(`credbroker audit: ${(e as Error).message}\n\n${AUDIT_USAGE}\n`);
      return 2;
    }
    const { ConfigError } = await import('../config/app-config.js');
    const known = e instanceof ExportFormatError || e instanceof DomainError || e instanceof ConfigError || (e as NodeJS.ErrnoException)?.code === 'ENOENT';
    process.stderr.write(`credbroker audit: ${known ? (e as Error).message : ((e as Error)?.stack ?? String(e))}\n`);
    return 1;
  }
}
