import type { BrokerHarness } from './broker-harness.js';

/**
 * Compares the sandbox's clients with the broker's registrations: every client at a site
 * must be the one its registration names, except at sites whose registration is
 * `orphan_suspected` (the broker says a client may exist there).
 */
export async function unknownClients(
  broker: BrokerHarness,
  siteIds: Map<string, string>,
  registrations: Array<Record<string, any>>,
): Promise<{ unknown: string[]; orphanSuspectedSites: number; registeredSites: number }> {
  const byHealthSystem = new Map(registrations.map((r) => [r.healthSystemId, r]));
  const unknown: string[] = [];
  let orphanSuspectedSites = 0;
  let registeredSites = 0;
  for (const [siteName, healthSystemId] of siteIds) {
    const registration = byHealthSystem.get(healthSystemId);
    const response = await fetch(`${broker.sandbox.url}/sandbox/sites/${siteName}/clients`);
    const { clients } = (await response.json()) as { clients: Array<{ client_id: string }> };
    if (registration?.state === 'orphan_suspected') {
      orphanSuspectedSites++;
      continue;
    }
    if (registration?.state === 'registered') registeredSites++;
    for (const client of clients) {
      if (registration?.state !== 'registered' || registration.clientId !== client.client_id) {
        unknown.push(`${siteName}:${client.client_id}`);
      }
    }
    if (registration?.state === 'registered' && clients.length !== 1)
      unknown.push(`${siteName}: ${clients.length} clients`);
  }
  return { unknown, orphanSuspectedSites, registeredSites };
}
