-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateEnum
CREATE TYPE "UserKind" AS ENUM ('ROOT', 'IAM');

-- CreateEnum
CREATE TYPE "PrincipalType" AS ENUM ('USER', 'GROUP', 'ROLE');

-- CreateTable
CREATE TABLE "accounts" (
    "id" VARCHAR(12) NOT NULL,
    "alias" VARCHAR(63),
    "name" VARCHAR(128) NOT NULL,
    "requireRootMfa" BOOLEAN NOT NULL DEFAULT false,
    "requireAdminMfa" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "accounts_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "password_policies" (
    "accountId" VARCHAR(12) NOT NULL,
    "minimumPasswordLength" INTEGER NOT NULL DEFAULT 8,
    "requireSymbols" BOOLEAN NOT NULL DEFAULT false,
    "requireNumbers" BOOLEAN NOT NULL DEFAULT false,
    "requireUppercaseCharacters" BOOLEAN NOT NULL DEFAULT false,
    "requireLowercaseCharacters" BOOLEAN NOT NULL DEFAULT false,
    "allowUsersToChangePassword" BOOLEAN NOT NULL DEFAULT false,
    "maxPasswordAge" INTEGER,
    "passwordReusePrevention" INTEGER,
    "hardExpiry" BOOLEAN NOT NULL DEFAULT false,

    CONSTRAINT "password_policies_pkey" PRIMARY KEY ("accountId")
);

-- CreateTable
CREATE TABLE "users" (
    "id" VARCHAR(32) NOT NULL,
    "accountId" VARCHAR(12) NOT NULL,
    "kind" "UserKind" NOT NULL,
    "name" VARCHAR(64),
    "nameLower" VARCHAR(64),
    "path" VARCHAR(512) NOT NULL DEFAULT '/',
    "email" VARCHAR(254),
    "passwordHash" TEXT,
    "passwordChangedAt" TIMESTAMPTZ(3),
    "passwordResetRequired" BOOLEAN NOT NULL DEFAULT false,
    "loginProfileCreatedAt" TIMESTAMPTZ(3),
    "passwordLastUsedAt" TIMESTAMPTZ(3),
    "tags" JSONB NOT NULL DEFAULT '{}',
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "users_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "password_history" (
    "id" UUID NOT NULL,
    "accountId" VARCHAR(12) NOT NULL,
    "userId" VARCHAR(32) NOT NULL,
    "passwordHash" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "password_history_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "groups" (
    "id" VARCHAR(32) NOT NULL,
    "accountId" VARCHAR(12) NOT NULL,
    "name" VARCHAR(128) NOT NULL,
    "nameLower" VARCHAR(128) NOT NULL,
    "path" VARCHAR(512) NOT NULL DEFAULT '/',
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "groups_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "group_memberships" (
    "accountId" VARCHAR(12) NOT NULL,
    "groupId" VARCHAR(32) NOT NULL,
    "userId" VARCHAR(32) NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "group_memberships_pkey" PRIMARY KEY ("groupId","userId")
);

-- CreateTable
CREATE TABLE "policies" (
    "id" VARCHAR(32) NOT NULL,
    "accountId" VARCHAR(12) NOT NULL,
    "name" VARCHAR(128) NOT NULL,
    "nameLower" VARCHAR(128) NOT NULL,
    "path" VARCHAR(512) NOT NULL DEFAULT '/',
    "arn" VARCHAR(2048) NOT NULL,
    "description" VARCHAR(1000),
    "document" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "policies_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "policy_attachments" (
    "accountId" VARCHAR(12) NOT NULL,
    "principalType" "PrincipalType" NOT NULL,
    "principalId" VARCHAR(32) NOT NULL,
    "policyArn" VARCHAR(2048) NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "policy_attachments_pkey" PRIMARY KEY ("principalType","principalId","policyArn")
);

-- CreateTable
CREATE TABLE "inline_policies" (
    "accountId" VARCHAR(12) NOT NULL,
    "principalType" "PrincipalType" NOT NULL,
    "principalId" VARCHAR(32) NOT NULL,
    "name" VARCHAR(128) NOT NULL,
    "document" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "inline_policies_pkey" PRIMARY KEY ("principalType","principalId","name")
);

-- CreateTable
CREATE TABLE "mfa_devices" (
    "id" UUID NOT NULL,
    "accountId" VARCHAR(12) NOT NULL,
    "userId" VARCHAR(32) NOT NULL,
    "name" VARCHAR(226) NOT NULL,
    "serialNumber" VARCHAR(512) NOT NULL,
    "seedCiphertext" TEXT NOT NULL,
    "enabledAt" TIMESTAMPTZ(3),
    "lastUsedStep" BIGINT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "mfa_devices_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "console_sessions" (
    "id" UUID NOT NULL,
    "accountId" VARCHAR(12) NOT NULL,
    "userId" VARCHAR(32) NOT NULL,
    "tokenHash" VARCHAR(64) NOT NULL,
    "mfaAuthenticatedAt" TIMESTAMPTZ(3),
    "enrollOnly" BOOLEAN NOT NULL DEFAULT false,
    "sourceIp" VARCHAR(64),
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" TIMESTAMPTZ(3) NOT NULL,
    "revokedAt" TIMESTAMPTZ(3),

    CONSTRAINT "console_sessions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "signin_challenges" (
    "id" UUID NOT NULL,
    "accountId" VARCHAR(12) NOT NULL,
    "userId" VARCHAR(32) NOT NULL,
    "tokenHash" VARCHAR(64) NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "sourceIp" VARCHAR(64),
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "signin_challenges_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "password_reset_tokens" (
    "id" UUID NOT NULL,
    "accountId" VARCHAR(12) NOT NULL,
    "userId" VARCHAR(32) NOT NULL,
    "tokenHash" VARCHAR(64) NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" TIMESTAMPTZ(3) NOT NULL,
    "usedAt" TIMESTAMPTZ(3),

    CONSTRAINT "password_reset_tokens_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "outbox_mail" (
    "id" UUID NOT NULL,
    "toAddress" VARCHAR(254) NOT NULL,
    "subject" VARCHAR(256) NOT NULL,
    "body" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "outbox_mail_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "signin_throttles" (
    "key" VARCHAR(400) NOT NULL,
    "failures" INTEGER NOT NULL DEFAULT 0,
    "lockedUntil" TIMESTAMPTZ(3),
    "lastFailureAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "signin_throttles_pkey" PRIMARY KEY ("key")
);

-- CreateTable
CREATE TABLE "operators" (
    "id" UUID NOT NULL,
    "name" VARCHAR(64) NOT NULL,
    "tokenHash" VARCHAR(64) NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "revokedAt" TIMESTAMPTZ(3),

    CONSTRAINT "operators_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "audit_heads" (
    "chain" VARCHAR(16) NOT NULL,
    "seq" BIGINT NOT NULL,
    "hash" VARCHAR(64) NOT NULL,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "audit_heads_pkey" PRIMARY KEY ("chain")
);

-- CreateTable
CREATE TABLE "audit_events" (
    "id" BIGSERIAL NOT NULL,
    "chain" VARCHAR(16) NOT NULL,
    "seq" BIGINT NOT NULL,
    "time" TIMESTAMPTZ(3) NOT NULL,
    "actorArn" VARCHAR(2048),
    "actorType" VARCHAR(32),
    "accessKeyId" VARCHAR(32),
    "sessionName" VARCHAR(64),
    "sourceIdentity" VARCHAR(64),
    "mfa" BOOLEAN NOT NULL DEFAULT false,
    "action" VARCHAR(128) NOT NULL,
    "resourceArn" VARCHAR(2048),
    "outcome" VARCHAR(16) NOT NULL,
    "errorCode" VARCHAR(64),
    "sourceIp" VARCHAR(64),
    "userAgent" VARCHAR(512),
    "requestId" VARCHAR(64),
    "details" JSONB,
    "prevHash" VARCHAR(64) NOT NULL,
    "hash" VARCHAR(64) NOT NULL,

    CONSTRAINT "audit_events_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "accounts_alias_key" ON "accounts"("alias");

-- CreateIndex
CREATE UNIQUE INDEX "users_email_key" ON "users"("email");

-- CreateIndex
CREATE INDEX "users_accountId_kind_idx" ON "users"("accountId", "kind");

-- CreateIndex
CREATE UNIQUE INDEX "users_accountId_nameLower_key" ON "users"("accountId", "nameLower");

-- CreateIndex
CREATE INDEX "password_history_userId_createdAt_idx" ON "password_history"("userId", "createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "groups_accountId_nameLower_key" ON "groups"("accountId", "nameLower");

-- CreateIndex
CREATE INDEX "group_memberships_userId_idx" ON "group_memberships"("userId");

-- CreateIndex
CREATE UNIQUE INDEX "policies_arn_key" ON "policies"("arn");

-- CreateIndex
CREATE UNIQUE INDEX "policies_accountId_nameLower_key" ON "policies"("accountId", "nameLower");

-- CreateIndex
CREATE INDEX "policy_attachments_accountId_policyArn_idx" ON "policy_attachments"("accountId", "policyArn");

-- CreateIndex
CREATE INDEX "inline_policies_accountId_idx" ON "inline_policies"("accountId");

-- CreateIndex
CREATE UNIQUE INDEX "mfa_devices_serialNumber_key" ON "mfa_devices"("serialNumber");

-- CreateIndex
CREATE INDEX "mfa_devices_accountId_userId_idx" ON "mfa_devices"("accountId", "userId");

-- CreateIndex
CREATE UNIQUE INDEX "console_sessions_tokenHash_key" ON "console_sessions"("tokenHash");

-- CreateIndex
CREATE INDEX "console_sessions_accountId_userId_idx" ON "console_sessions"("accountId", "userId");

-- CreateIndex
CREATE UNIQUE INDEX "signin_challenges_tokenHash_key" ON "signin_challenges"("tokenHash");

-- CreateIndex
CREATE UNIQUE INDEX "password_reset_tokens_tokenHash_key" ON "password_reset_tokens"("tokenHash");

-- CreateIndex
CREATE INDEX "outbox_mail_toAddress_createdAt_idx" ON "outbox_mail"("toAddress", "createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "operators_name_key" ON "operators"("name");

-- CreateIndex
CREATE UNIQUE INDEX "operators_tokenHash_key" ON "operators"("tokenHash");

-- CreateIndex
CREATE INDEX "audit_events_chain_time_idx" ON "audit_events"("chain", "time");

-- CreateIndex
CREATE UNIQUE INDEX "audit_events_chain_seq_key" ON "audit_events"("chain", "seq");

-- AddForeignKey
ALTER TABLE "password_policies" ADD CONSTRAINT "password_policies_accountId_fkey" FOREIGN KEY ("accountId") REFERENCES "accounts"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "users" ADD CONSTRAINT "users_accountId_fkey" FOREIGN KEY ("accountId") REFERENCES "accounts"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "password_history" ADD CONSTRAINT "password_history_userId_fkey" FOREIGN KEY ("userId") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "groups" ADD CONSTRAINT "groups_accountId_fkey" FOREIGN KEY ("accountId") REFERENCES "accounts"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "group_memberships" ADD CONSTRAINT "group_memberships_groupId_fkey" FOREIGN KEY ("groupId") REFERENCES "groups"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "group_memberships" ADD CONSTRAINT "group_memberships_userId_fkey" FOREIGN KEY ("userId") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "policies" ADD CONSTRAINT "policies_accountId_fkey" FOREIGN KEY ("accountId") REFERENCES "accounts"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "mfa_devices" ADD CONSTRAINT "mfa_devices_userId_fkey" FOREIGN KEY ("userId") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "console_sessions" ADD CONSTRAINT "console_sessions_userId_fkey" FOREIGN KEY ("userId") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "password_reset_tokens" ADD CONSTRAINT "password_reset_tokens_userId_fkey" FOREIGN KEY ("userId") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;


-- The platform audit chain (events outside any account) starts at sequence 0.
INSERT INTO "audit_heads" ("chain", "seq", "hash") VALUES ('platform', 0, '0000000000000000000000000000000000000000000000000000000000000000');
