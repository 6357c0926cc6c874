import 'reflect-metadata';
import { ConfigError, loadConfig } from '#config';
import { startTracing } from '#observability';

async function main(): Promise<void> {
  const config = loadConfig();
  // Before the application's modules load, so the instrumentations can hook them.
  await startTracing('broker-api');
  const { createApiApp } = await import('./bootstrap.js');
  const app = await createApiApp(config);
  await app.listen(config.api.port);
}

main().catch((error: unknown) => {
  // A configuration error lists every problem; anything else is printed once and the process stops.
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
