import type { BrokerHarness } from './broker-harness.js';

/**
 * Compares the sandbox's clients with the broker's registrations: every client at a site
 * must be the one its registration names, except at sites whose registration is
 * `orphan_suspected` (the broker says a client may exist there) and beyond the site's
 * possible-orphan records (each may stand for one client, named or not).
 */
export async function unknownClients(
  broker: BrokerHarness,
  siteIds: Map<string, string>,
  registrations: Array<Record<string, any>>,
  possibleOrphans: Array<Record<string, any>> = [],
): Promise<{ unknown: string[]; orphanSuspectedSites: number; registeredSites: number; clients: number }> {
  const byHealthSystem = new Map(registrations.map((r) => [r.healthSystemId, r]));
  const unknown: string[] = [];
  let orphanSuspectedSites = 0;
  let registeredSites = 0;
  let total = 0;
  for (const [siteName, healthSystemId] of siteIds) {
    const registration = byHealthSystem.get(healthSystemId);
    const response = await fetch(`${broker.sandbox.url}/sandbox/sites/${siteName}/clients`);
    const { clients } = (await response.json()) as { clients: Array<{ client_id: string }> };
    total += clients.length;
    if (registration?.state === 'orphan_suspected') {
      orphanSuspectedSites++;
      continue;
    }
    const orphans = possibleOrphans.filter((orphan) => orphan.healthSystemId === healthSystemId);
    const named = new Set(orphans.map((orphan) => orphan.clientId).filter(Boolean));
    // Records without a client id (the answer never arrived) may each stand for one client.
    let unnamed = orphans.filter((orphan) => !orphan.clientId).length;
    if (registration?.state === 'registered') registeredSites++;
    for (const client of clients) {
      if (registration?.state === 'registered' && registration.clientId === client.client_id) continue;
      if (named.has(client.client_id)) continue;
      if (unnamed > 0) {
        unnamed--;
        continue;
      }
      unknown.push(`${siteName}:${client.client_id}`);
    }
    if (registration?.state === 'registered' && !clients.some((client) => client.client_id === registration.clientId))
      unknown.push(`${siteName}: registered client ${registration.clientId} missing`);
  }
  return { unknown, orphanSuspectedSites, registeredSites, clients: total };
}
