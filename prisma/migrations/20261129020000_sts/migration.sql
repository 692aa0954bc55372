-- CreateTable
CREATE TABLE "roles" (
    "id" VARCHAR(32) NOT NULL,
    "accountId" VARCHAR(12) NOT NULL,
    "name" VARCHAR(64) NOT NULL,
    "nameLower" VARCHAR(64) NOT NULL,
    "path" VARCHAR(512) NOT NULL DEFAULT '/',
    "arn" VARCHAR(2048) NOT NULL,
    "description" VARCHAR(1000),
    "maxSessionDuration" INTEGER NOT NULL DEFAULT 3600,
    "trustPolicy" TEXT NOT NULL,
    "claimMapping" JSONB NOT NULL DEFAULT '{}',
    "awsRoleArn" VARCHAR(2048),
    "tags" JSONB NOT NULL DEFAULT '{}',
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "roles_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "oidc_providers" (
    "id" UUID NOT NULL,
    "accountId" VARCHAR(12) NOT NULL,
    "url" VARCHAR(255) NOT NULL,
    "arn" VARCHAR(2048) NOT NULL,
    "audiences" JSONB NOT NULL DEFAULT '[]',
    "jwksUri" VARCHAR(2048),
    "jwks" JSONB,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "oidc_providers_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "sts_sessions" (
    "accessKeyId" VARCHAR(128) NOT NULL,
    "accountId" VARCHAR(12) NOT NULL,
    "type" VARCHAR(16) NOT NULL,
    "issuer" VARCHAR(8) NOT NULL,
    "arn" VARCHAR(2048) NOT NULL,
    "callerArn" VARCHAR(2048) NOT NULL,
    "sourceArn" VARCHAR(2048) NOT NULL,
    "parentAccessKeyId" VARCHAR(128),
    "principalId" VARCHAR(32) NOT NULL,
    "roleId" VARCHAR(32),
    "sessionName" VARCHAR(64),
    "sourceIdentity" VARCHAR(64),
    "tags" JSONB NOT NULL DEFAULT '{}',
    "sessionPolicy" TEXT,
    "policyArns" JSONB NOT NULL DEFAULT '[]',
    "mfaAuthenticatedAt" TIMESTAMPTZ(3),
    "secretCiphertext" TEXT,
    "tokenHash" VARCHAR(64),
    "upstreamRequestId" VARCHAR(128),
    "containerTokenId" UUID,
    "issuedAt" TIMESTAMPTZ(3) NOT NULL,
    "expiresAt" TIMESTAMPTZ(3) NOT NULL,
    "revokedAt" TIMESTAMPTZ(3),

    CONSTRAINT "sts_sessions_pkey" PRIMARY KEY ("accessKeyId")
);

-- CreateTable
CREATE TABLE "container_tokens" (
    "id" UUID NOT NULL,
    "accountId" VARCHAR(12) NOT NULL,
    "name" VARCHAR(64) NOT NULL,
    "tokenHash" VARCHAR(64) NOT NULL,
    "userId" VARCHAR(32) NOT NULL,
    "roleArn" VARCHAR(2048) NOT NULL,
    "sessionPolicy" TEXT,
    "policyArns" JSONB NOT NULL DEFAULT '[]',
    "durationSeconds" INTEGER NOT NULL DEFAULT 3600,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" TIMESTAMPTZ(3),
    "revokedAt" TIMESTAMPTZ(3),
    "lastUsedAt" TIMESTAMPTZ(3),

    CONSTRAINT "container_tokens_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "roles_arn_key" ON "roles"("arn");

-- CreateIndex
CREATE UNIQUE INDEX "roles_accountId_nameLower_key" ON "roles"("accountId", "nameLower");

-- CreateIndex
CREATE UNIQUE INDEX "oidc_providers_arn_key" ON "oidc_providers"("arn");

-- CreateIndex
CREATE UNIQUE INDEX "oidc_providers_accountId_url_key" ON "oidc_providers"("accountId", "url");

-- CreateIndex
CREATE INDEX "sts_sessions_accountId_issuedAt_idx" ON "sts_sessions"("accountId", "issuedAt");

-- CreateIndex
CREATE INDEX "sts_sessions_accountId_roleId_idx" ON "sts_sessions"("accountId", "roleId");

-- CreateIndex
CREATE INDEX "sts_sessions_accountId_sourceArn_idx" ON "sts_sessions"("accountId", "sourceArn");

-- CreateIndex
CREATE INDEX "sts_sessions_parentAccessKeyId_idx" ON "sts_sessions"("parentAccessKeyId");

-- CreateIndex
CREATE INDEX "sts_sessions_containerTokenId_idx" ON "sts_sessions"("containerTokenId");

-- CreateIndex
CREATE UNIQUE INDEX "container_tokens_tokenHash_key" ON "container_tokens"("tokenHash");

-- CreateIndex
CREATE INDEX "container_tokens_accountId_idx" ON "container_tokens"("accountId");

-- AddForeignKey
ALTER TABLE "roles" ADD CONSTRAINT "roles_accountId_fkey" FOREIGN KEY ("accountId") REFERENCES "accounts"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "oidc_providers" ADD CONSTRAINT "oidc_providers_accountId_fkey" FOREIGN KEY ("accountId") REFERENCES "accounts"("id") ON DELETE CASCADE ON UPDATE CASCADE;

