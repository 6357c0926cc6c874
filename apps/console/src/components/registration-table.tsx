import type { App, Registration, SiteRegistration } from '../api/types';
import { href } from '../router';
import { errorInWords, when } from '../words';
import { StateBadge } from './ui';

export const appNames = (apps: App[] | undefined) => new Map(apps?.map((app) => [app.id, app.name]));

/** A tenant's registrations, each linking to its page; `appNames` names the apps when known. */
export function RegistrationTable({ items, appNames }: { items: Registration[]; appNames?: Map<string, string> }) {
  if (items.length === 0) return <p>No registrations match.</p>;
  return (
    <table>
      <caption class="visually-hidden">Registrations</caption>
      <thead>
        <tr>
          <th scope="col">Site</th>
          <th scope="col">App</th>
          <th scope="col">State</th>
          <th scope="col">Client id</th>
          <th scope="col">Last error</th>
          <th scope="col">Updated</th>
        </tr>
      </thead>
      <tbody>
        {items.map((registration) => (
          <tr key={registration.id}>
            <td>
              <a href={href(`/registrations/${registration.id}`)}>
                {registration.healthSystem?.name ?? registration.healthSystemId}
              </a>
            </td>
            <td>{appNames?.get(registration.appId) ?? <code>{registration.appId.slice(0, 8)}</code>}</td>
            <td>
              <StateBadge state={registration.state} />
            </td>
            <td>
              <code>{registration.clientId ?? '—'}</code>
            </td>
            <td>{registration.lastError ? errorInWords(registration.lastError) : ''}</td>
            <td>{when(registration.updatedAt)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** What is registered at one site, across tenants (a health-system administrator's view). */
export function SiteRegistrationTable({ items }: { items: SiteRegistration[] }) {
  if (items.length === 0) return <p>Nothing is registered at your site yet.</p>;
  return (
    <table>
      <caption class="visually-hidden">Registrations at your site</caption>
      <thead>
        <tr>
          <th scope="col">Tenant</th>
          <th scope="col">App</th>
          <th scope="col">Client</th>
          <th scope="col">State</th>
          <th scope="col">Since</th>
        </tr>
      </thead>
      <tbody>
        {items.map((registration) => (
          <tr key={registration.id}>
            <td>{registration.tenant.name}</td>
            <td>{registration.app.name}</td>
            <td>
              {registration.clientName ?? ''} <code>{registration.clientId ?? '—'}</code>
            </td>
            <td>
              <StateBadge state={registration.state} />
              {registration.lastError && <div class="muted">{errorInWords(registration.lastError)}</div>}
            </td>
            <td>{when(registration.since)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
