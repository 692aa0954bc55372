// The chain's encoding lives in src/common/audit (pure, shared with the offline verifier and the CLI).
export { GENESIS_HASH, canonicalJson, canonicalRecord, chainHash, type ChainedRecord, type StoredRecord } from '../../common/audit/chain.js';
