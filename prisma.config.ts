// Prisma CLI configuration. Migrations run through the bundled WASM schema engine and a
// driver adapter, so no engine binary is downloaded (see README, "Why this Prisma setup").
import { defineConfig } from 'prisma/config';
import { PrismaPg } from '@prisma/adapter-pg-migrate';

const connectionString = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/broker';

/**
 * The adapter's `executeScript` splits a migration on every ";", which breaks function bodies
 * (`$$ ... $$`, e.g. the registration history trigger). PostgreSQL runs a multi-statement
 * script in one simple query, as Prisma's native engine sends it: do that instead.
 */
class WholeScriptPg extends PrismaPg {
  override async connect() {
    const adapter = await super.connect();
    const pool = (adapter as unknown as { client: { query(sql: string): Promise<unknown> } }).client;
    adapter.executeScript = async (script: string) => {
      try {
        await pool.query(script);
      } catch (error) {
        (adapter as unknown as { onError(error: unknown): never }).onError(error);
      }
    };
    return adapter;
  }
}

export default defineConfig({
  schema: 'prisma/schema.prisma',
  experimental: { adapter: true },
  engine: 'js',
  adapter: async () => new WholeScriptPg({ connectionString }),
});
