import { z } from 'zod';
import { ConfigError } from './config.js';

/** The sandbox EHR simulator's settings (`npm run start:sandbox`), read from the environment once. */
const sandboxEnvSchema = z.object({
  SANDBOX_PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  SANDBOX_HOST: z.string().min(1).default('127.0.0.1'),
  /** The origin clients use when it is not http://{host}:{port} (e.g. inside docker-compose). */
  SANDBOX_PUBLIC_URL: z.url().optional(),
  /** Extra `open` sites generated on top of the one-per-profile default set. */
  SANDBOX_SITES: z.coerce.number().int().min(0).max(10_000).default(0),
  /** A file that keeps the sites' clients across restarts (`npm start`: .cache/sandbox-state.json); unset: memory only. */
  SANDBOX_STATE_FILE: z.string().min(1).optional(),
});

export interface SandboxConfig {
  port: number;
  host: string;
  publicUrl?: string;
  extraOpenSites: number;
  stateFile?: string;
}

export function loadSandboxConfig(source: Record<string, string | undefined> = process.env): SandboxConfig {
  const parsed = sandboxEnvSchema.safeParse(source);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`));
  }
  const env = parsed.data;
  return {
    port: env.SANDBOX_PORT,
    host: env.SANDBOX_HOST,
    publicUrl: env.SANDBOX_PUBLIC_URL?.replace(/\/$/, ''),
    extraOpenSites: env.SANDBOX_SITES,
    stateFile: env.SANDBOX_STATE_FILE,
  };
}
