import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgDriver, PgliteDriver, type SqlDriver } from '../../src/db/sql-driver.js';

/**
 * The raw driver's prepared statements (`{ prepare: true }`, the issuance
 * group commit's statement): on PostgreSQL `pg`'s named statements, on the
 * embedded database our own Parse-once / Bind-Execute-Sync path through
 * PGlite's wire protocol. Both must answer exactly as an unprepared query does.
 */
const PG_URL = process.env.DATABASE_URL;

const targets: { name: string; open: () => Promise<SqlDriver> }[] = [
  { name: 'PGlite', open: () => PgliteDriver.open('memory://') },
  ...(PG_URL ? [{ name: 'PostgreSQL', open: async () => new PgDriver(PG_URL, 3) }] : []),
];

describe.each(targets)('raw driver, prepared statements, on $name', ({ open }) => {
  let d: SqlDriver;
  const table = `t_prep_${randomBytes(4).toString('hex')}`;
  const insert = () =>
    `WITH x AS (INSERT INTO "${table}" (id, doc, tags, flag) SELECT v.id, $1::jsonb, $3::text[], $4::boolean FROM unnest($2::bigint[]) AS v(id) RETURNING *)
     SELECT id, doc, tags, flag, at, note FROM x ORDER BY id`;
  const count = async () => (await d.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${table}"`))[0]!.n;

  beforeAll(async () => {
    d = await open();
    await d.exec(`CREATE TABLE "${table}" (id bigint PRIMARY KEY, doc jsonb, tags text[], flag boolean, at timestamptz NOT NULL DEFAULT now(), note text)`);
  });
  afterAll(async () => {
    await d.exec(`DROP TABLE IF EXISTS "${table}"`);
    await d.close();
  });

  it('answers as the unprepared query does: same rows, same types, NULLs and quoting', async () => {
    const params = (ids: string[]) => [JSON.stringify({ a: 1, s: 'x"y' }), ids, ['plain', 'with "quote"', 'with,comma', ''], true];
    const prepared = await d.query(insert(), params(['1', '2']), { prepare: true });
    const plain = await d.query(insert(), params(['3', '4']));
    const strip = (rows: Record<string, unknown>[]) => rows.map(({ id: _id, at, ...r }) => ({ ...r, at: at instanceof Date }));
    expect(prepared).toHaveLength(2);
    expect(strip(prepared)).toEqual(strip(plain));
    expect(prepared[0]).toMatchObject({ doc: { a: 1, s: 'x"y' }, tags: ['plain', 'with "quote"', 'with,comma', ''], flag: true, note: null });
    expect(typeof prepared[0]!.id).toBe(typeof plain[0]!.id);
    // NULL parameters, and the same statement again (now parsed already).
    const again = await d.query(insert(), [null, ['5'], null, null], { prepare: true });
    expect(again).toEqual([expect.objectContaining({ doc: null, tags: null, flag: null })]);
  });

  it('a failing run rejects with the SQLSTATE, writes nothing and leaves the driver usable', async () => {
    const before = await count();
    // id 6 is new, id 1 exists: the whole statement fails.
    await expect(d.query(insert(), [null, ['6', '1'], null, null], { prepare: true })).rejects.toMatchObject({ code: '23505' });
    expect(await count()).toBe(before);
    await expect(d.query(insert(), [null, ['6'], null, null], { prepare: true })).resolves.toHaveLength(1);
    expect(await count()).toBe(before + 1);
  });

  it('a statement that does not parse is refused every time, and is not kept', async () => {
    const bad = `SELEC id FROM "${table}" WHERE id = $1`;
    await expect(d.query(bad, ['1'], { prepare: true })).rejects.toMatchObject({ code: '42601' });
    await expect(d.query(bad, ['1'], { prepare: true })).rejects.toMatchObject({ code: '42601' });
    await expect(d.query(`SELECT id FROM "${table}" WHERE id = $1`, ['1'], { prepare: true })).resolves.toHaveLength(1);
  });

  it('never runs inside another caller’s transaction: it commits on its own when that one rolls back', async () => {
    let inside!: () => void;
    const reached = new Promise<void>((r) => (inside = r));
    let preparedRun: Promise<unknown> | undefined;
    await expect(
      d.transaction(async (s) => {
        await s.query(`INSERT INTO "${table}" (id) VALUES (100)`);
        preparedRun = d.query(insert(), [null, ['101'], null, null], { prepare: true });
        inside();
        // Give the prepared run every chance to slip into this transaction.
        await new Promise((r) => setTimeout(r, 50));
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    await reached;
    await expect(preparedRun).resolves.toHaveLength(1);
    const ids = (await d.query<{ id: number | string }>(`SELECT id FROM "${table}" WHERE id >= 100 ORDER BY id`)).map((r) => String(r.id));
    expect(ids).toEqual(['101']);
  });
});

describe('raw driver on PGlite: two drivers over one embedded database', () => {
  it('share its prepared statements instead of clashing over their names', async () => {
    const a = await PgliteDriver.open('memory://');
    const b = new PgliteDriver(a.db);
    try {
      expect(await a.query<{ v: number }>('SELECT $1::int + 1 AS v', [1], { prepare: true })).toEqual([{ v: 2 }]);
      expect(await b.query<{ v: string }>('SELECT $1::text AS v', ['x'], { prepare: true })).toEqual([{ v: 'x' }]);
      expect(await b.query<{ v: number }>('SELECT $1::int + 1 AS v', [2], { prepare: true })).toEqual([{ v: 3 }]);
      expect(await a.query<{ v: string }>('SELECT $1::text AS v', ['y'], { prepare: true })).toEqual([{ v: 'y' }]);
    } finally {
      await a.close();
    }
  });
});
