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
  // A configuration error lists every problem, a busy port is one line; anything else is printed
  // once and the process stops.
  if ((error as { code?: string }).code === 'EADDRINUSE') {
    console.error(
      `port ${(error as { port?: number }).port ?? process.env.PORT ?? 3000} (PORT) is in use by another process`,
    );
  } else {
    console.error(error instanceof ConfigError ? error.message : error);
  }
  process.exit(1);
});
