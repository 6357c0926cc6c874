// Prisma CLI configuration. Migrations run through the bundled WASM schema engine and a
// driver adapter, so no engine binary is downloaded (see README, "Why this Prisma setup").
import { defineConfig } from 'prisma/config';
import { PrismaPg } from '@prisma/adapter-pg-migrate';

const connectionString = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/broker';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  experimental: { adapter: true },
  engine: 'js',
  adapter: async () => new PrismaPg({ connectionString }),
});
