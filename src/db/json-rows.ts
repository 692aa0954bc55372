/**
 * Many rows as ONE json parameter: `json_to_recordset($n::json) AS t(…)`.
 * The rows are serialised with JSON.stringify (native), where an array
 * parameter per column has pg escape every element in JavaScript; the
 * statement text stays the same whatever the number of rows.
 */

/** A column of the record set: its name (also the key in each row object) and SQL type. */
export type JsonColumn = readonly [name: string, type: string];

/** `json_to_recordset($param::json) AS <alias>("name" type, …)`. */
export function jsonRecordset(param: number, columns: readonly JsonColumn[], alias = 't'): string {
  return `json_to_recordset($${param}::json) AS ${alias}(${columns.map(([c, type]) => `"${c}" ${type}`).join(', ')})`;
}

/** The columns' quoted names, comma-separated, each optionally prefixed (`t."name"`). */
export function columnList(columns: readonly JsonColumn[], prefix = ''): string {
  return columns.map(([c]) => `${prefix}"${c}"`).join(',');
}
