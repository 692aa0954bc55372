-- Audit integrity: the broker's signing keys, signed digests of each chain's
-- head, retention settings and the anchors left by pruning.

-- Ed25519 keys that sign digests. The private key is a SecretBox box (bound to
-- the key id); at most one key is active (the one that signs).
CREATE TABLE "audit_signing_keys" (
    "id" VARCHAR(32) NOT NULL,
    "publicKey" TEXT NOT NULL,
    "privateKey" TEXT NOT NULL,
    "active" BOOLEAN NOT NULL DEFAULT true,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "audit_signing_keys_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "audit_signing_keys_one_active" ON "audit_signing_keys"("active") WHERE "active";

-- A signed statement of a chain's head at the end of a period; each names the
-- previous digest of its chain. (chain, periodEnd) is unique so instances
-- never sign the same period twice.
CREATE TABLE "audit_digests" (
    "id" BIGSERIAL NOT NULL,
    "chain" VARCHAR(16) NOT NULL,
    "digestSeq" BIGINT NOT NULL,
    "periodStart" TIMESTAMPTZ(3) NOT NULL,
    "periodEnd" TIMESTAMPTZ(3) NOT NULL,
    "headSeq" BIGINT NOT NULL,
    "headHash" VARCHAR(64) NOT NULL,
    "previousDigestHash" VARCHAR(64) NOT NULL,
    "digestHash" VARCHAR(64) NOT NULL,
    "signature" TEXT NOT NULL,
    "keyId" VARCHAR(32) NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "audit_digests_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "audit_digests_keyId_fkey" FOREIGN KEY ("keyId") REFERENCES "audit_signing_keys"("id") ON DELETE RESTRICT ON UPDATE CASCADE
);
CREATE UNIQUE INDEX "audit_digests_chain_digestSeq_key" ON "audit_digests"("chain", "digestSeq");
CREATE UNIQUE INDEX "audit_digests_chain_periodEnd_key" ON "audit_digests"("chain", "periodEnd");

-- Per-chain retention: records older than retentionDays may be pruned (null: keep forever).
CREATE TABLE "audit_settings" (
    "chain" VARCHAR(16) NOT NULL,
    "retentionDays" INTEGER,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "audit_settings_pkey" PRIMARY KEY ("chain")
);

-- The last pruned record of a chain: verification of what is left starts here.
CREATE TABLE "audit_anchors" (
    "chain" VARCHAR(16) NOT NULL,
    "seq" BIGINT NOT NULL,
    "hash" VARCHAR(64) NOT NULL,
    "prunedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "audit_anchors_pkey" PRIMARY KEY ("chain")
);
