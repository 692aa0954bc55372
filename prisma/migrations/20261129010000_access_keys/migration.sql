-- CreateEnum
CREATE TYPE "AccessKeyStatus" AS ENUM ('Active', 'Inactive');

-- AlterTable
ALTER TABLE "accounts" ADD COLUMN     "awsAccountId" VARCHAR(12),
ADD COLUMN     "lockRootAccessKeys" BOOLEAN NOT NULL DEFAULT true,
ADD COLUMN     "maxAccessKeyAgeDays" INTEGER;

-- AlterTable
ALTER TABLE "users" ADD COLUMN     "awsUserName" VARCHAR(64);

-- CreateTable
CREATE TABLE "access_keys" (
    "id" VARCHAR(32) NOT NULL,
    "accountId" VARCHAR(12) NOT NULL,
    "userId" VARCHAR(32) NOT NULL,
    "secretCiphertext" TEXT,
    "status" "AccessKeyStatus" NOT NULL DEFAULT 'Active',
    "upstream" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "statusChangedAt" TIMESTAMPTZ(3),
    "lastUsedAt" TIMESTAMPTZ(3),
    "lastUsedService" VARCHAR(64),
    "lastUsedAction" VARCHAR(128),
    "lastUsedRegion" VARCHAR(32),

    CONSTRAINT "access_keys_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "access_keys_accountId_userId_idx" ON "access_keys"("accountId", "userId");

-- AddForeignKey
ALTER TABLE "access_keys" ADD CONSTRAINT "access_keys_userId_fkey" FOREIGN KEY ("userId") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

