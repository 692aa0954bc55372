-- Indexes for the GraphQL audit query (keyset pagination on (chain, seq), newest first).
-- Each serves a filtered page: the index gives the matching records of one chain already in
-- sequence order, so a page of 50 reads about 50 index entries whatever the table's size.
-- Time ranges use the existing (chain, time) index (those pages are ordered by time); unfiltered
-- pages the unique (chain, seq).
CREATE INDEX "audit_events_chain_action_seq_idx" ON "audit_events" ("chain", "action", "seq");
CREATE INDEX "audit_events_chain_actorArn_seq_idx" ON "audit_events" ("chain", "actorArn", "seq");
CREATE INDEX "audit_events_chain_outcome_seq_idx" ON "audit_events" ("chain", "outcome", "seq");
CREATE INDEX "audit_events_chain_accessKeyId_seq_idx" ON "audit_events" ("chain", "accessKeyId", "seq");
CREATE INDEX "audit_events_chain_sourceIp_seq_idx" ON "audit_events" ("chain", "sourceIp", "seq");
CREATE INDEX "audit_events_chain_resourceArn_seq_idx" ON "audit_events" ("chain", "resourceArn", "seq");
CREATE INDEX "audit_events_chain_sourceIdentity_seq_idx" ON "audit_events" ("chain", "sourceIdentity", "seq");
CREATE INDEX "audit_events_chain_requestId_idx" ON "audit_events" ("chain", "requestId");
