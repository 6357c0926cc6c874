// Prisma 7 CLI configuration, used by `prisma generate` (see README, "Why this Prisma setup").
// Migrations run through prisma-migrate.config.ts instead.
import { defineConfig } from 'prisma/config';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/broker' },
});
