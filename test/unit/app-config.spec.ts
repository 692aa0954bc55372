import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateMasterKeySpec } from '../../src/common/crypto/secret-box.js';
import { ConfigError, describeConfig, loadConfig } from '../../src/config/app-config.js';

const tmpDirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'cb-config-'));
  tmpDirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of tmpDirs) rmSync(d, { recursive: true, force: true });
});

/** The ConfigError thrown by loadConfig(env). */
function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as Error).name).toBe('ConfigError');
    return e as ConfigError;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe('loadConfig', () => {
  it('has sensible defaults', () => {
    const c = loadConfig({ DATA_DIR: 'memory://' });
    expect(c).toMatchObject({
      env: 'development',
      host: '127.0.0.1',
      port: 8080,
      logLevel: 'info',
      dataDir: 'memory://',
      autoMigrate: true,
      consoleSessionTtlSeconds: 8 * 3600,
      passwordResetTtlSeconds: 3600,
      trustProxy: false,
      publicUrl: 'http://127.0.0.1:8080',
      fastPasswordHashing: false,
    });
    expect(c.database.kind).toBe('pglite');
    expect(c.database.url).toBeUndefined();
    expect(c.masterKeys).toHaveLength(1);
    expect(c.masterKeys[0].key).toHaveLength(32);
    expect(c.masterKeyGeneratedAt).toBeUndefined();
  });

  it('SIGV4_REGIONS: any region by default, else a validated list naming the variable', () => {
    expect(loadConfig({ DATA_DIR: 'memory://' }).sigv4Regions).toBeNull();
    expect(loadConfig({ DATA_DIR: 'memory://', SIGV4_REGIONS: '*' }).sigv4Regions).toBeNull();
    expect(loadConfig({ DATA_DIR: 'memory://', SIGV4_REGIONS: 'us-east-1, eu-west-1' }).sigv4Regions).toEqual(['us-east-1', 'eu-west-1']);
    expect(() => loadConfig({ DATA_DIR: 'memory://', SIGV4_REGIONS: 'us-east-1,mars' })).toThrow(/SIGV4_REGIONS/);
  });

  it('puts the embedded database in the data directory unless told otherwise', () => {
    const dir = tempDir();
    const c = loadConfig({ DATA_DIR: dir, MASTER_KEY: generateMasterKeySpec('k1') });
    expect(c.dataDir).toBe(resolve(dir));
    expect(c.database).toEqual({ kind: 'pglite', pgliteDir: join(resolve(dir), 'pglite'), poolSize: 1 });
    expect(loadConfig({ DATA_DIR: dir, PGLITE_DIR: 'memory://', MASTER_KEY: generateMasterKeySpec('k1') }).database.pgliteDir).toBe('memory://');
  });

  it('reads valid values', () => {
    const spec = generateMasterKeySpec('k1');
    const old = generateMasterKeySpec('k0');
    const c = loadConfig({
      NODE_ENV: 'production',
      PORT: '9000',
      HOST: '0.0.0.0',
      LOG_LEVEL: 'warn',
      DATA_DIR: 'memory://',
      DATABASE_URL: 'postgresql://u:p@db.example:5432/cb',
      DATABASE_POOL_SIZE: '7',
      AUTO_MIGRATE: 'false',
      MASTER_KEY: spec,
      MASTER_KEYS_OLD: old,
      TRUST_PROXY: 'yes',
      PUBLIC_URL: 'https://iam.example.test',
      CONSOLE_SESSION_TTL_SECONDS: '600',
    });
    expect(c).toMatchObject({ env: 'production', port: 9000, host: '0.0.0.0', logLevel: 'warn', autoMigrate: false, trustProxy: true, publicUrl: 'https://iam.example.test', consoleSessionTtlSeconds: 600 });
    expect(c.database).toEqual({ kind: 'postgres', url: 'postgresql://u:p@db.example:5432/cb', poolSize: 7 });
    expect(c.masterKeys.map((k) => k.id)).toEqual(['k1', 'k0']);
    expect(loadConfig({ DATA_DIR: 'memory://', DATABASE_URL: 'postgres://h/db' }).database.kind).toBe('postgres');
    // What may be logged carries no secret.
    const described = JSON.stringify(describeConfig(c));
    expect(described).not.toContain(spec.split(':')[1]);
    expect(described).not.toContain('u:p@');
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['PORT', '-1'],
    ['NODE_ENV', 'staging'],
    ['LOG_LEVEL', 'loud'],
    ['DATABASE_URL', 'mysql://root:pw@localhost:3306/cb'],
    ['DATABASE_URL', 'not a url'],
    ['DATABASE_POOL_SIZE', '0'],
    ['MASTER_KEY', 'garbage'],
    ['MASTER_KEYS_OLD', 'garbage'],
    ['AUTO_MIGRATE', 'maybe'],
    ['TRUST_PROXY', 'sometimes'],
    ['FAST_PASSWORD_HASHING', 'fast'],
    ['CONSOLE_SESSION_TTL_SECONDS', '10'],
    ['PASSWORD_RESET_TTL_SECONDS', '1.5'],
    ['PUBLIC_URL', 'nope'],
  ])('%s=%s is refused with a message naming the variable', (name, value) => {
    const e = configError({ DATA_DIR: 'memory://', [name]: value });
    expect(e.message).toContain(name);
  });

  it('never puts a master key value or a database password in an error message', () => {
    const good = generateMasterKeySpec('k1');
    const secretPart = good.split(':')[1];
    const cases: Record<string, string>[] = [
      { MASTER_KEY: 'garbage-secret-value' },
      { MASTER_KEY: `k1:${secretPart.slice(0, -2)}` }, // too short
      { MASTER_KEY: `bad id!:${secretPart}` },
      { MASTER_KEY: `k1:${secretPart}!!` },
      { MASTER_KEY: secretPart }, // no id
      { MASTER_KEY: good, MASTER_KEYS_OLD: `k0:${secretPart.slice(2)}` },
    ];
    for (const env of cases) {
      const e = configError({ DATA_DIR: 'memory://', ...env });
      expect(e.message).toMatch(/MASTER_KEY/);
      for (const v of Object.values(env)) {
        expect(e.message).not.toContain(v);
        expect(e.message).not.toContain(v.split(':').pop()!);
      }
      expect(e.message).not.toContain(secretPart.slice(0, 16));
      expect(String(e.stack)).not.toContain(secretPart.slice(0, 16));
    }
    const db = configError({ DATA_DIR: 'memory://', DATABASE_URL: 'mysql://admin:hunter2-db-pw@db:3306/x' });
    expect(db.message).not.toContain('hunter2-db-pw');
  });

  it('production requires MASTER_KEY', () => {
    const dir = tempDir();
    const e = configError({ NODE_ENV: 'production', DATA_DIR: dir });
    expect(e.message).toContain('MASTER_KEY');
    expect(e.message).toMatch(/production/);
    // And does not quietly generate one.
    expect(() => statSync(join(dir, 'master.key'))).toThrow();
    expect(loadConfig({ NODE_ENV: 'production', DATA_DIR: dir, MASTER_KEY: generateMasterKeySpec('k1') }).env).toBe('production');
  });

  it('FAST_PASSWORD_HASHING is refused in production', () => {
    const e = configError({ NODE_ENV: 'production', DATA_DIR: 'memory://', MASTER_KEY: generateMasterKeySpec('k1'), FAST_PASSWORD_HASHING: 'true' });
    expect(e.message).toContain('FAST_PASSWORD_HASHING');
    expect(loadConfig({ NODE_ENV: 'test', DATA_DIR: 'memory://', FAST_PASSWORD_HASHING: 'true' }).fastPasswordHashing).toBe(true);
    expect(loadConfig({ NODE_ENV: 'production', DATA_DIR: 'memory://', MASTER_KEY: generateMasterKeySpec('k1'), FAST_PASSWORD_HASHING: 'false' }).fastPasswordHashing).toBe(false);
  });

  it('the embedded default generates a master key file (mode 0600) once, then reuses it', () => {
    const dir = join(tempDir(), 'data');
    const first = loadConfig({ DATA_DIR: dir });
    const file = join(dir, 'master.key');
    expect(first.masterKeyGeneratedAt).toBe(file);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const spec = readFileSync(file, 'utf8').trim();
    expect(spec).toMatch(/^[A-Za-z0-9_-]+:[A-Za-z0-9_-]{43}$/);
    expect(first.masterKeys).toHaveLength(1);

    const second = loadConfig({ DATA_DIR: dir });
    expect(second.masterKeyGeneratedAt).toBeUndefined();
    expect(second.masterKeys[0].id).toBe(first.masterKeys[0].id);
    expect(second.masterKeys[0].key.equals(first.masterKeys[0].key)).toBe(true);
    expect(readFileSync(file, 'utf8').trim()).toBe(spec);
    // An explicit MASTER_KEY wins over the file.
    const explicit = loadConfig({ DATA_DIR: dir, MASTER_KEY: generateMasterKeySpec('k9') });
    expect(explicit.masterKeys[0].id).toBe('k9');
  });

  it('a memory data directory gets an ephemeral key and writes nothing', () => {
    const a = loadConfig({ DATA_DIR: 'memory://' });
    const b = loadConfig({ DATA_DIR: 'memory://' });
    expect(a.masterKeyGeneratedAt).toBeUndefined();
    expect(a.masterKeys[0].key.equals(b.masterKeys[0].key)).toBe(false);
  });
});
