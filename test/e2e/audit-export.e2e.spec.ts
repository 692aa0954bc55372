import { spawn } from 'node:child_process';
import { createPublicKey, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyExport } from '../../src/common/audit/export-format.js';
import { accountWithRoot, bearer, READ_ONLY, userWithPolicies, type TestAccount } from '../support/factories.js';
import { DB_KIND, startTestApp, uniq, type TestApp } from '../support/test-app.js';

const CLI_MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', CLI_MAIN, ...args], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

describe(`audit export (${DB_KIND})`, () => {
  let t: TestApp;
  let a: TestAccount;
  let dir: string;
  let keys: Map<string, KeyObject>;
  let pemFile: string;
  beforeAll(async () => {
    t = await startTestApp();
    a = await accountWithRoot(t);
    dir = mkdtempSync(join(tmpdir(), 'cb-audit-'));
    for (let i = 0; i < 6; i++) {
      expect((await t.http.post(`/v1/accounts/${a.accountId}/users`).set(bearer(a.rootToken)).send({ userName: uniq('ex-') })).status).toBe(201);
    }
    expect((await t.http.post(`/v1/accounts/${a.accountId}/audit/digests`).set(bearer(a.rootToken))).status).toBe(201);
    for (let i = 0; i < 3; i++) {
      expect((await t.http.post(`/v1/accounts/${a.accountId}/users`).set(bearer(a.rootToken)).send({ userName: uniq('ex-') })).status).toBe(201);
    }
    expect((await t.http.post(`/v1/accounts/${a.accountId}/audit/digests`).set(bearer(a.rootToken))).status).toBe(201);
    const pub = await t.http.get('/v1/audit/public-keys');
    keys = new Map(pub.body.keys.map((k: { keyId: string; publicKeyPem: string }) => [k.keyId, createPublicKey(k.publicKeyPem)]));
    pemFile = join(dir, 'key.pem');
    writeFileSync(pemFile, pub.body.keys.map((k: { publicKeyPem: string }) => k.publicKeyPem).join('\n'));
  });
  afterAll(async () => {
    await t?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const exportText = async (query = '', token = a.rootToken) => {
    const r = await t.http.get(`/v1/accounts/${a.accountId}/audit/export${query}`).set(bearer(token)).buffer(true).parse((res, cb) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (data += c));
      res.on('end', () => cb(null, data));
    });
    return r;
  };

  it('streams NDJSON: a header with the anchor, every record with its chain fields, the digests, an end line', async () => {
    const r = await exportText();
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toMatch(/application\/x-ndjson/);
    const lines = (r.body as string).trim().split('\n').map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ type: 'header', format: 'credbroker-audit-export/1', chain: a.accountId, anchor: { seq: '0', hash: '0'.repeat(64) } });
    const records = lines.filter((l) => l.type === 'record');
    expect(records[0]).toMatchObject({ seq: '1', prevHash: '0'.repeat(64) });
    expect(Object.keys(records[0])).toEqual(expect.arrayContaining(['seq', 'chain', 'time', 'actorArn', 'action', 'outcome', 'prevHash', 'hash', 'details']));
    expect(lines.filter((l) => l.type === 'digest').length).toBe(2);
    expect(lines.at(-1)).toMatchObject({ type: 'end', records: records.length, lastSeq: records.at(-1).seq });
    const v = await verifyExport(r.body.split('\n'), keys);
    expect(v).toMatchObject({ ok: true, checked: records.length, digests: 2 });
  });

  it('a range (from/to) exports from its anchor and still verifies', async () => {
    const all = (await exportText()).body.trim().split('\n').map((l: string) => JSON.parse(l)).filter((l: { type: string }) => l.type === 'record');
    const from = all[3].time;
    const r = await exportText(`?from=${encodeURIComponent(from)}&to=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`);
    expect(r.status).toBe(200);
    const lines = r.body.trim().split('\n').map((l: string) => JSON.parse(l));
    const first = lines.find((l: { type: string }) => l.type === 'record');
    expect(BigInt(first.seq)).toBeLessThanOrEqual(BigInt(all[3].seq));
    expect(lines[0].anchor).toEqual({ seq: String(BigInt(first.seq) - 1n), hash: first.prevHash });
    expect((await verifyExport(r.body.split('\n'), keys)).ok).toBe(true);
    // An empty range is a valid (empty) export.
    const empty = await exportText(`?from=${encodeURIComponent(new Date(Date.now() + 3_600_000).toISOString())}`);
    expect(empty.status).toBe(200);
    expect((await verifyExport(empty.body.split('\n'), keys)).ok).toBe(true);
  });

  it('the CLI verifies an export offline with only the public key; a tampered export fails with the first broken link', async () => {
    const body: string = (await exportText()).body;
    const good = join(dir, 'good.ndjson');
    writeFileSync(good, body);
    const ok = await cli(['audit', 'verify', '--file', good, '--public-key', pemFile]);
    expect(ok.code, ok.stderr + ok.stdout).toBe(0);
    expect(ok.stdout).toMatch(/^OK: /);

    const lines = body.trim().split('\n');
    const idx = lines.findIndex((l) => l.includes('"seq":"4"'));
    lines[idx] = lines[idx]!.replace(/"action":"[^"]+"/, '"action":"iam:Nothing"');
    const bad = join(dir, 'bad.ndjson');
    writeFileSync(bad, lines.join('\n') + '\n');
    const broken = await cli(['audit', 'verify', '--file', bad, '--public-key', pemFile, '--json']);
    expect(broken.code).toBe(1);
    expect(JSON.parse(broken.stdout).brokenAt).toMatchObject({ seq: '4', kind: 'edited' });

    // Records removed from the middle of the file.
    const cut = body.trim().split('\n').filter((l) => !l.includes('"seq":"5"'));
    writeFileSync(bad, cut.join('\n') + '\n');
    const gap = await cli(['audit', 'verify', '--file', bad, '--public-key', pemFile]);
    expect(gap.code).toBe(1);
    expect(gap.stdout).toMatch(/seq 5 \((deleted|truncated)\)/);

    // Another key: the digests do not verify.
    const { generateKeyPairSync } = await import('node:crypto');
    const other = join(dir, 'other.pem');
    writeFileSync(other, generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString());
    const wrongKey = await cli(['audit', 'verify', '--file', good, '--public-key', other]);
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.stdout).toMatch(/signature/);

    const usage = await cli(['audit', 'verify', '--file', good]);
    expect(usage.code).toBe(2);
  });

  it.runIf(DB_KIND === 'postgres')('the CLI verifies an account chain in the database', async () => {
    const env = { DATABASE_URL: process.env.DATABASE_URL!, MASTER_KEY: `test1:${Buffer.alloc(32, 7).toString('base64')}`, LOG_LEVEL: 'silent' };
    const r = await cli(['audit', 'verify', '--account', a.accountId], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^OK: chain/);
    const d = await cli(['audit', 'digest', '--account', a.accountId], env);
    expect(d.code, d.stderr).toBe(0);
    expect(JSON.parse(d.stdout)).toMatchObject({ chain: a.accountId });
    const prune = await cli(['audit', 'prune', '--account', a.accountId], env);
    expect(prune.code).toBe(1);
    expect(prune.stderr).toMatch(/no audit retention period/);
    // Tampered in the database: exit 1 with the first broken link.
    await t.driver.query(`UPDATE "audit_events" SET "sourceIp" = '6.6.6.6' WHERE "chain" = $1 AND "seq" = 3`, [a.accountId]);
    const broken = await cli(['audit', 'verify', '--account', a.accountId], env);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toMatch(/first broken link at seq 3 \(edited\)/);
  });

  it('needs audit:Export; other accounts get 404', async () => {
    const reader = await userWithPolicies(t, a, [READ_ONLY]);
    const denied = await t.http.get(`/v1/accounts/${a.accountId}/audit/export`).set(bearer(reader.token));
    expect(denied.status).toBe(403);
    const b = await accountWithRoot(t);
    const other = await t.http.get(`/v1/accounts/${a.accountId}/audit/export`).set(bearer(b.rootToken));
    expect(other.status).toBe(404);
    expect(other.body.error.code).toBe('NoSuchEntity');
    const anon = await t.http.get(`/v1/accounts/${a.accountId}/audit/export`);
    expect(anon.status).toBe(401);
  });
});
