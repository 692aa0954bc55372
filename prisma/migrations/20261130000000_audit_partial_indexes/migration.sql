-- Two audit-query indexes become partial: they keep only the records their filters can match.
--
-- Every index with the chain first costs a B-tree descent per appended record once several
-- accounts write at once (their insertion points are spread through the index; a single chain
-- appends at the right edge, where PostgreSQL skips the descent). Most records have no source
-- identity and succeed, so these two indexes held mostly entries no filter needs:
--   - a sourceIdentity filter is an equality, which implies NOT NULL;
--   - an outcome filter for 'denied' or 'error' implies outcome <> 'success' (the planner proves
--     it from the value, as the repository's queries bind it per execution). A filter for
--     'success' alone reads the (chain, seq) key newest first and skips the refusals; combined
--     with another filter it uses that filter's index.
-- Measured (docs/benchmarks.md): 100 accounts appending at once, 20-30% less time in inserts.
--
-- schema.prisma declares both with `where:` (Prisma's partialIndexes preview feature).
DROP INDEX "audit_events_chain_outcome_seq_idx";
CREATE INDEX "audit_events_chain_outcome_seq_idx" ON "audit_events" ("chain", "outcome", "seq") WHERE "outcome" <> 'success';
DROP INDEX "audit_events_chain_sourceIdentity_seq_idx";
CREATE INDEX "audit_events_chain_sourceIdentity_seq_idx" ON "audit_events" ("chain", "sourceIdentity", "seq") WHERE "sourceIdentity" IS NOT NULL;
