import { chainHash, type StoredRecord } from './chain.js';

/** What a broken link looks like. */
export type BreakKind = 'edited' | 'deleted' | 'reordered' | 'inserted' | 'truncated' | 'signature';

export interface ChainBreak {
  /** The first position that is not what the chain says it should be. */
  seq: bigint;
  kind: BreakKind;
  message: string;
}

/** Where a verified range starts: the record before it (seq 0 and the genesis hash for a whole chain). */
export interface ChainAnchor {
  seq: bigint;
  hash: string;
}

/**
 * What the range must reach: the chain's head row, a signed digest's head, or
 * the end of the requested range. `exact` ends must be met exactly (a longer
 * chain has extra records); others only bound it from below.
 */
export interface ExpectedEnd {
  seq: bigint;
  hash?: string;
  exact: boolean;
  /** Names the source in messages: "the chain head", "digest 12". */
  source: string;
  /** Kind reported when the records stop short of it (default truncated). */
  shortKind?: BreakKind;
}

export interface VerifyChainOptions {
  chain: string;
  anchor: ChainAnchor;
  ends?: ExpectedEnd[];
  /** Hashes signed by digests, by seq: a rewritten (re-hashed) chain no longer matches them. */
  checkpoints?: Map<bigint, { hash: string; source: string }>;
}

export interface ChainVerificationResult {
  ok: boolean;
  /** Records verified before the first break (all of them when ok). */
  checked: number;
  firstSeq: bigint | null;
  lastSeq: bigint | null;
  lastHash: string;
  brokenAt: ChainBreak | null;
}

/** Records read past a break to tell its kind apart (a reorder, an insertion). */
const LOOKAHEAD = 8;
/** How far a renumbered record is looked for (records deleted and the rest renumbered). */
const RENUMBER_SEARCH = 8;

/**
 * Verifies records of one chain, in seq order, from an anchor: each record's
 * hash is recomputed from its canonical encoding and the previous hash, and
 * must link to the record before it with the next sequence number. Stops at
 * the first broken link and says what it looks like. Memory stays constant
 * whatever the number of records (the input is streamed).
 */
export async function verifyChain(
  rows: AsyncIterable<StoredRecord | StoredRecord[]> | Iterable<StoredRecord | StoredRecord[]>,
  opts: VerifyChainOptions,
): Promise<ChainVerificationResult> {
  // Records may come one by one or in batches (the database reader's): batches keep the hot loop synchronous.
  const it: AsyncIterator<StoredRecord | StoredRecord[]> | Iterator<StoredRecord | StoredRecord[]> =
    Symbol.asyncIterator in rows
      ? (rows as AsyncIterable<StoredRecord | StoredRecord[]>)[Symbol.asyncIterator]()
      : (rows as Iterable<StoredRecord | StoredRecord[]>)[Symbol.iterator]();
  const nextBatch = async (): Promise<StoredRecord[] | null> => {
    const n = await it.next();
    if (n.done) return null;
    return Array.isArray(n.value) ? n.value : [n.value];
  };
  let prevSeq = opts.anchor.seq;
  let prevHash = opts.anchor.hash;
  let prevRow: StoredRecord | null = null;
  let checked = 0;
  let firstSeq: bigint | null = null;
  const result = (brokenAt: ChainBreak | null): ChainVerificationResult => ({
    ok: brokenAt === null,
    checked,
    firstSeq,
    lastSeq: prevRow ? prevSeq : null,
    lastHash: prevHash,
    brokenAt,
  });
  const checkpoints = opts.checkpoints;
  const chain = opts.chain;
  try {
    for (;;) {
      const batch = await nextBatch();
      if (!batch) break;
      for (let i = 0; i < batch.length; i++) {
        const r = batch[i]!;
        const e = prevSeq + 1n;
        if (r.seq === e && r.prevHash === prevHash && r.chain === chain && chainHash(r.prevHash, r) === r.hash) {
          if (checkpoints) {
            const cp = checkpoints.get(r.seq);
            if (cp && cp.hash !== r.hash) {
              return result({
                seq: r.seq,
                kind: 'edited',
                message: `record ${r.seq} does not have the hash signed by ${cp.source}: records up to it were rewritten`,
              });
            }
          }
          prevRow = r;
          prevSeq = r.seq;
          prevHash = r.hash;
          checked++;
          firstSeq ??= r.seq;
          continue;
        }
        const ahead: StoredRecord[] = batch.slice(i + 1, i + 1 + LOOKAHEAD);
        while (ahead.length < LOOKAHEAD) {
          const more = await nextBatch();
          if (!more) break;
          ahead.push(...more.slice(0, LOOKAHEAD - ahead.length));
        }
        return result(classify(r, e, prevHash, prevRow, ahead, chain));
      }
    }
  } finally {
    await (it as AsyncIterator<StoredRecord>).return?.();
  }
  const end = checkEnds(prevRow ? prevSeq : opts.anchor.seq, prevHash, opts.ends ?? []);
  return result(end);
}

/**
 * Checks where a range of records stopped (`lastSeq`, with hash `lastHash`;
 * the anchor when it had none) against what it must reach: the first end it
 * falls short of or overruns, or whose hash it does not have, is the break.
 */
export function checkEnds(lastSeq: bigint, lastHash: string, ends: readonly ExpectedEnd[]): ChainBreak | null {
  for (const end of ends) {
    if (lastSeq < end.seq) {
      const kind = end.shortKind ?? 'truncated';
      return {
        seq: lastSeq + 1n,
        kind,
        message: kind === 'truncated'
          ? `the chain ends at ${lastSeq} but ${end.source} is at ${end.seq}: records ${lastSeq + 1n}..${end.seq} are missing (truncated tail)`
          : `records ${lastSeq + 1n}..${end.seq} are missing`,
      };
    }
    if (end.exact && lastSeq > end.seq) {
      return { seq: end.seq + 1n, kind: 'inserted', message: `records after ${end.seq} (${end.source}) were added outside the chain` };
    }
    if (lastSeq === end.seq && end.hash !== undefined && end.hash !== lastHash) {
      return { seq: lastSeq, kind: 'edited', message: `record ${lastSeq} does not have the hash recorded by ${end.source}` };
    }
  }
  return null;
}

function classify(r: StoredRecord, e: bigint, expectedPrev: string, prevRow: StoredRecord | null, ahead: StoredRecord[], chain: string): ChainBreak {
  if (r.chain !== chain) return { seq: r.seq, kind: 'inserted', message: `a record of chain ${r.chain} is in chain ${chain} at ${r.seq}` };
  if (r.seq < e) return { seq: r.seq, kind: 'inserted', message: `a second record with seq ${r.seq}` };
  if (r.seq > e) {
    const last = r.seq - 1n;
    return { seq: e, kind: 'deleted', message: e === last ? `record ${e} is missing` : `records ${e}..${last} are missing` };
  }
  // The record that belongs here was moved further down (its successor's link names it).
  if (r.prevHash !== expectedPrev && ahead.some((a) => a.hash === r.prevHash)) {
    return { seq: e, kind: 'reordered', message: `record ${e} is out of order: it follows a record found later in the chain` };
  }
  // The next record links to this one's predecessor: this one was slipped in between.
  if (ahead[0] && ahead[0].prevHash === expectedPrev) {
    return { seq: e, kind: 'inserted', message: `record ${e} was inserted: the next record links to record ${e - 1n}` };
  }
  // This record and the previous one claim the same predecessor: the previous one was slipped in (with a forged hash).
  if (prevRow && r.prevHash !== expectedPrev && r.prevHash === prevRow.prevHash) {
    return { seq: prevRow.seq, kind: 'inserted', message: `record ${prevRow.seq} was inserted: record ${e} links to record ${prevRow.seq - 1n}` };
  }
  const selfOk = chainHash(r.prevHash, r) === r.hash;
  if (r.prevHash === expectedPrev) {
    return { seq: e, kind: 'edited', message: `record ${e} was changed: its content does not match its hash` };
  }
  if (!selfOk) {
    for (let k = 1n; k <= BigInt(RENUMBER_SEARCH); k++) {
      if (chainHash(r.prevHash, { ...r, seq: r.seq + k }) === r.hash) {
        return { seq: e, kind: 'deleted', message: `${k} record(s) were deleted before record ${e} and the rest renumbered` };
      }
    }
    return { seq: e, kind: 'edited', message: `record ${e} was changed: neither its content nor its link matches` };
  }
  // A consistent record that does not link: its predecessor's hash (or this link) was rewritten.
  const at = prevRow ? prevRow.seq : e;
  return { seq: at, kind: 'edited', message: `record ${e} does not link to record ${e - 1n}: record ${at} was rewritten` };
}
