import { createServer } from 'node:net';

/**
 * A port free right now, below Linux's ephemeral range (32768-60999): a port inside it can be
 * taken at any moment by one of the many outgoing connections of the test run. Whoever binds it
 * still retries on EADDRINUSE (another process may take it between this check and the bind).
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 10_000);
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (free) return port;
  }
}
