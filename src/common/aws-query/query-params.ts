/**
 * The parameters of one AWS Query request (form fields, flattened), with
 * AWS's list encodings: `Name.member.N` for lists of scalars and
 * `Name.member.N.Field` for lists of structures (N from 1, contiguous).
 * Pure: no Nest, no I/O. Malformed input throws QueryParamError (a 400
 * ValidationError / MissingParameter / InvalidParameterValue at the edge).
 */
export class QueryParamError extends Error {
  constructor(
    readonly code: 'MissingParameter' | 'ValidationError' | 'InvalidParameterValue',
    message: string,
  ) {
    super(message);
  }
}

export class QueryParams {
  constructor(private readonly fields: ReadonlyMap<string, string>) {}

  static from(entries: Iterable<[string, string]>): QueryParams {
    return new QueryParams(new Map(entries));
  }

  has(name: string): boolean {
    return this.fields.has(name);
  }

  /** A scalar parameter, or undefined when absent. */
  str(name: string): string | undefined {
    return this.fields.get(name);
  }

  /** A parameter the action cannot do without. */
  required(name: string): string {
    const v = this.fields.get(name);
    if (v === undefined || v === '') throw new QueryParamError('MissingParameter', `The request must contain the parameter ${name}.`);
    return v;
  }

  /** An integer parameter (decimal digits only), or undefined when absent. */
  int(name: string): number | undefined {
    const v = this.fields.get(name);
    if (v === undefined) return undefined;
    if (!/^-?\d{1,15}$/.test(v)) throw constraintError(name, v, 'Member must be an integer');
    return Number(v);
  }

  /** A boolean parameter ("true"/"false", any case), or undefined when absent. */
  bool(name: string): boolean | undefined {
    const v = this.fields.get(name);
    if (v === undefined) return undefined;
    const l = v.toLowerCase();
    if (l === 'true') return true;
    if (l === 'false') return false;
    throw constraintError(name, v, 'Member must be a boolean');
  }

  /** `Name.member.1`, `Name.member.2`, …; undefined when no member is present. */
  list(name: string): string[] | undefined {
    const out: string[] = [];
    for (const [n] of this.members(name)) {
      const v = this.fields.get(`${name}.member.${n}`);
      if (v === undefined) throw new QueryParamError('ValidationError', `The list ${name} has a malformed member ${n}.`);
      out.push(v);
    }
    return out.length || this.fields.has(name) ? out : undefined;
  }

  /** `Name.member.N.Field` for each field; undefined when no member is present. */
  structList<F extends string>(name: string, fields: readonly F[]): Array<Partial<Record<F, string>>> | undefined {
    const out: Array<Partial<Record<F, string>>> = [];
    for (const [n] of this.members(name)) {
      const item: Partial<Record<F, string>> = {};
      for (const f of fields) {
        const v = this.fields.get(`${name}.member.${n}.${f}`);
        if (v !== undefined) item[f] = v;
      }
      out.push(item);
    }
    return out.length || this.fields.has(name) ? out : undefined;
  }

  /** The member indexes present under `Name.member.`, checked to run 1..N without gaps. */
  private members(name: string): Map<number, true> {
    const prefix = `${name}.member.`;
    const seen = new Map<number, true>();
    for (const key of this.fields.keys()) {
      if (!key.startsWith(prefix)) continue;
      const m = /^(\d{1,4})(?:\.|$)/.exec(key.slice(prefix.length));
      if (!m) throw new QueryParamError('ValidationError', `The parameter ${key.slice(0, 128)} is not a valid list member.`);
      seen.set(Number(m[1]), true);
    }
    const sorted = [...seen.keys()].sort((a, b) => a - b);
    sorted.forEach((n, i) => {
      if (n !== i + 1) throw new QueryParamError('ValidationError', `The list ${name} must number its members from 1 without gaps.`);
    });
    return new Map(sorted.map((n) => [n, true]));
  }

  /** Every field (for logging-free diagnostics and tests). */
  entries(): IterableIterator<[string, string]> {
    return this.fields.entries();
  }
}

/** AWS's wording for a constraint failure on one member (ValidationError). */
export function constraintError(member: string, value: string | number | null, constraint: string): QueryParamError {
  const shown = value === null ? 'null' : `'${String(value).slice(0, 64)}'`;
  return new QueryParamError('ValidationError', `1 validation error detected: Value ${shown} at '${lowerFirst(member)}' failed to satisfy constraint: ${constraint}`);
}

/** AWS names members in messages with a lower-case first letter (`userName`). */
export const lowerFirst = (s: string) => s.charAt(0).toLowerCase() + s.slice(1);
