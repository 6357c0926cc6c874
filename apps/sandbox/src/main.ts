import { loadSandboxConfig } from '#config';
import { pino } from 'pino';
import { SITE_PROFILES, startSandbox, type SiteOptions } from './sandbox.js';

/**
 * `npm run start:sandbox`: one site per profile (`open-1`, `iat-1`, ...) plus `SANDBOX_SITES`
 * generated `open` sites (`extra-1`, ...), on SANDBOX_HOST:SANDBOX_PORT (default 127.0.0.1:4000).
 */
const logger = pino({ name: 'sandbox' });
const config = loadSandboxConfig();

const defaultSites: SiteOptions[] = SITE_PROFILES.map((profile) => ({ name: `${profile}-1`, profile }));

const sandbox = await startSandbox({
  port: config.port,
  host: config.host,
  publicUrl: config.publicUrl,
  sites: defaultSites,
  stateFile: config.stateFile,
  onServerError: (site, error) => logger.error({ site, err: error }, 'oidc-provider server error'),
});
if (config.extraOpenSites > 0) sandbox.addSites({ count: config.extraOpenSites, profile: 'open', prefix: 'extra' });

logger.info(
  {
    url: sandbox.url,
    sites: defaultSites.map(({ name }) => `${name}: ${sandbox.site(name)?.fhirBaseUrl}`),
    extraOpenSites: config.extraOpenSites,
    operator: `${sandbox.url}/sandbox/sites`,
    stateFile: config.stateFile ?? '(none: clients are forgotten at exit)',
  },
  `sandbox listening on ${sandbox.url} with ${sandbox.sites().length} sites`,
);

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    logger.info({ signal }, 'sandbox shutting down');
    sandbox.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'sandbox did not close cleanly');
        process.exit(1);
      },
    );
  });
}
