#!/usr/bin/env bash
# Writes the SQL that turns one Prisma schema into another, offline (the
# Prisma 7 CLI needs a downloaded schema engine; Prisma 6.19's JS engine does not).
#   scripts/migration-diff.sh <from-schema|empty> <to-schema> > prisma/migrations/<ts>_<name>/migration.sql
# Needs a reachable PostgreSQL (DIFF_DATABASE_URL, default the local one); nothing is written to it.
# Example: scripts/migration-diff.sh <(git show HEAD:prisma/schema.prisma) prisma/schema.prisma
set -euo pipefail
from=$1; to=$2
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
( cd "$work" && npm install --silent --no-save prisma@6.19.3 @prisma/adapter-pg@6.19.3 >/dev/null 2>&1 )
# Prisma 6 has no partial indexes: drop the preview feature and the `where:` of @@index lines, so a
# partial index diffs as a plain one (write its WHERE into the migration by hand).
fix() {
  sed -E -e 's|^  provider = "postgresql"$|  provider = "postgresql"\n  url = "postgresql://unused@127.0.0.1/unused"|' \
      -e '/^  previewFeatures *= *\["partialIndexes"\]$/d' \
      -e 's/^(  @@(index|unique)\(\[[^]]*\]), where: .*\)$/\1)/' "$1"
}
[ "$from" = empty ] || fix "$from" > "$work/from.prisma"
fix "$to" > "$work/to.prisma"
cat > "$work/prisma.config.ts" <<'TS'
import { defineConfig } from 'prisma/config';
import { PrismaPg } from '@prisma/adapter-pg';
// The JS engine opens its adapter even for a schema-to-schema diff; it changes nothing there.
export default defineConfig({ experimental: { adapter: true }, engine: 'js', schema: 'to.prisma',
  adapter: async () => new PrismaPg({ connectionString: process.env.DIFF_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres' }) } as never);
TS
touch "$work/fake-engine"
cd "$work"
if [ "$from" = empty ]; then fromArg=(--from-empty); else fromArg=(--from-schema-datamodel from.prisma); fi
PRISMA_QUERY_ENGINE_LIBRARY="$work/fake-engine" PRISMA_SCHEMA_ENGINE_BINARY="$work/fake-engine" \
  npx prisma migrate diff "${fromArg[@]}" --to-schema-datamodel to.prisma --script
