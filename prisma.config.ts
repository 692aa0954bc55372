import { defineConfig } from 'prisma/config';

// The broker applies prisma/migrations itself (src/db/migrations); the CLI is
// only used here for `prisma generate`.
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
});
