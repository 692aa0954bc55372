import { describe, expect, it } from 'vitest';
import { columnList, jsonRecordset } from '../../src/db/json-rows.js';

describe('json-rows (many rows as one JSON parameter)', () => {
  const cols = [['chain', 'text'], ['seq', 'bigint'], ['details', 'jsonb']] as const;

  it('names the parameter and every column with its type', () => {
    expect(jsonRecordset(3, cols)).toBe('json_to_recordset($3::json) AS t("chain" text, "seq" bigint, "details" jsonb)');
    expect(jsonRecordset(1, cols, 'r')).toBe('json_to_recordset($1::json) AS r("chain" text, "seq" bigint, "details" jsonb)');
  });

  it('lists the columns quoted, optionally prefixed', () => {
    expect(columnList(cols)).toBe('"chain","seq","details"');
    expect(columnList(cols, 't.')).toBe('t."chain",t."seq",t."details"');
  });
});
