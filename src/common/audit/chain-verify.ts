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
 *
 * Push form: the records are fed one at a time (`push`, synchronous: a
 * database reader can hand each row over as it is decoded, so that no batch
 * of rows stays alive), then `finish` gives the verdict. verifyChain is the
 * same over an (async) iterable.
 */
export class ChainVerifier {
  private prevSeq: bigint;
  private prevHash: string;
  private prevRow: StoredRecord | null = null;
  private checked = 0;
  private firstSeq: bigint | null = null;
  /** Set once the verdict is known: later records are ignored. */
  private verdict: ChainVerificationResult | null = null;
  /** The first record that does not fit, and the records read after it (LOOKAHEAD at most) to classify it. */
  private failed: { r: StoredRecord; e: bigint; ahead: StoredRecord[] } | null = null;
  private readonly chain: string;
  private readonly checkpoints: VerifyChainOptions['checkpoints'];

  constructor(private readonly opts: VerifyChainOptions) {
    this.prevSeq = opts.anchor.seq;
    this.prevHash = opts.anchor.hash;
    this.chain = opts.chain;
    this.checkpoints = opts.checkpoints;
  }

  /** True while more records are wanted; false once the verdict is known (a break found and classified). */
  get wantsMore(): boolean {
    return this.verdict === null;
  }

  /** Feeds the next record (in the order read); returns wantsMore. */
  push(r: StoredRecord): boolean {
    if (this.verdict) return false;
    const f = this.failed;
    if (f) {
      f.ahead.push(r);
      if (f.ahead.length >= LOOKAHEAD) this.verdict = this.result(classify(f.r, f.e, this.prevHash, this.prevRow, f.ahead, this.chain));
      return this.verdict === null;
    }
    const e = this.prevSeq + 1n;
    if (r.seq === e && r.prevHash === this.prevHash && r.chain === this.chain && chainHash(r.prevHash, r) === r.hash) {
      if (this.checkpoints) {
        const cp = this.checkpoints.get(r.seq);
        if (cp && cp.hash !== r.hash) {
          this.verdict = this.result({
            seq: r.seq,
            kind: 'edited',
            message: `record ${r.seq} does not have the hash signed by ${cp.source}: records up to it were rewritten`,
          });
          return false;
        }
      }
      this.prevRow = r;
      this.prevSeq = r.seq;
      this.prevHash = r.hash;
      this.checked++;
      this.firstSeq ??= r.seq;
      return true;
    }
    this.failed = { r, e, ahead: [] };
    return true;
  }

  /** The verdict, once every record has been pushed (or push returned false). */
  finish(): ChainVerificationResult {
    if (this.verdict) return this.verdict;
    const f = this.failed;
    this.verdict = f
      ? this.result(classify(f.r, f.e, this.prevHash, this.prevRow, f.ahead, this.chain))
      : this.result(checkEnds(this.prevRow ? this.prevSeq : this.opts.anchor.seq, this.prevHash, this.opts.ends ?? []));
    return this.verdict;
  }

  private result(brokenAt: ChainBreak | null): ChainVerificationResult {
    return {
      ok: brokenAt === null,
      checked: this.checked,
      firstSeq: this.firstSeq,
      lastSeq: this.prevRow ? this.prevSeq : null,
      lastHash: this.prevHash,
      brokenAt,
    };
  }
}

/** ChainVerifier over records that come one by one or in batches (a batch reader's), from an iterable or an async one. */
export async function verifyChain(
  rows: AsyncIterable<StoredRecord | StoredRecord[]> | Iterable<StoredRecord | StoredRecord[]>,
  opts: VerifyChainOptions,
): Promise<ChainVerificationResult> {
  const v = new ChainVerifier(opts);
  const it: AsyncIterator<StoredRecord | StoredRecord[]> | Iterator<StoredRecord | StoredRecord[]> =
    Symbol.asyncIterator in rows
      ? (rows as AsyncIterable<StoredRecord | StoredRecord[]>)[Symbol.asyncIterator]()
      : (rows as Iterable<StoredRecord | StoredRecord[]>)[Symbol.iterator]();
  try {
    outer: for (;;) {
      const n = await it.next();
      if (n.done) break;
      if (!Array.isArray(n.value)) {
        if (!v.push(n.value)) break;
        continue;
      }
      // Batches keep the hot loop synchronous.
      const batch = n.value;
      for (let i = 0; i < batch.length; i++) if (!v.push(batch[i]!)) break outer;
    }
  } finally {
    await (it as AsyncIterator<StoredRecord>).return?.();
  }
  return v.finish();
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
