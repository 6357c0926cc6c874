import 'reflect-metadata';
import { ConfigError, loadConfig } from '#config';
import { createApiApp } from './bootstrap.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const app = await createApiApp(config);
  await app.listen(config.api.port);
}

main().catch((error: unknown) => {
  // A configuration error lists every problem; anything else is printed once and the process stops.
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
