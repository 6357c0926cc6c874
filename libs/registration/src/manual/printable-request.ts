import type { SiteRequest } from '#persistence';

const escape = (text: string) => text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

const TITLES: Record<SiteRequest['kind'], string> = {
  register: 'App registration request',
  update: 'App change request',
  rotation: 'Client secret rotation request',
  removal: 'Client removal request',
};

/** One row of the form: a label and a value (lists one per line; empty values shown as "none"). */
function row(label: string, value: unknown): string {
  const shown = Array.isArray(value)
    ? value.length
      ? value.map((item) => escape(String(item))).join('<br>')
      : '<em>none</em>'
    : value === null || value === undefined || value === ''
      ? '<em>none</em>'
      : escape(typeof value === 'object' ? JSON.stringify(value) : String(value));
  return `<tr><th>${escape(label)}</th><td>${shown}</td></tr>`;
}

/**
 * The request as a printable page for the site's administrators (the same content as the JSON
 * export, which stays the reference). Self-contained: no script, no external resource, only an
 * inline style (the API's CSP for this page allows exactly that).
 */
export function printableRequest(request: SiteRequest): string {
  const document = request.document as {
    whatToDo?: string;
    site?: { name?: string; fhirBaseUrl?: string };
    vendor?: { name?: string };
    app?: { name?: string };
    currentClientId?: string | null;
    clientSecretExpiresAt?: string | null;
    client?: Record<string, unknown>;
    clientMetadata?: unknown;
  };
  const client = document.client ?? {};
  const rows = [
    row('Client name', client.clientName),
    row('Redirect URIs', client.redirectUris),
    row('Launch URI', client.launchUri),
    row('Grant types', client.grantTypes),
    row('Response types', client.responseTypes),
    row('Scopes', client.scopes),
    row('Token endpoint auth method', client.tokenEndpointAuthMethod),
    row('Assertion signing algorithm', client.tokenEndpointAuthSigningAlg),
    row('JWKS URL', client.jwksUri),
    row('Client secret needed', client.needsClientSecret ? 'yes: enter the secret your EHR issues' : 'no'),
    row('Contacts', client.contacts),
    row('Logo', client.logoUri),
    row('Client URI', client.clientUri),
    row('Terms of service', client.tosUri),
    row('Privacy policy', client.policyUri),
    row('Software ID', client.softwareId),
    row('Software version', client.softwareVersion),
  ].join('');
  const changes = request.changes?.length
    ? `<h2>What changed</h2><table>${request.changes
        .map((change) =>
          row(change.field, `${JSON.stringify(change.from ?? null)} → ${JSON.stringify(change.to ?? null)}`),
        )
        .join('')}</table>`
    : '';
  const title = `${TITLES[request.kind]}: ${document.app?.name ?? ''}`;
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title>` +
    '<style>body{font:14px/1.4 system-ui,sans-serif;max-width:52em;margin:2em auto}' +
    'table{border-collapse:collapse;width:100%}th,td{border:1px solid #999;padding:.3em .5em;text-align:left;vertical-align:top}' +
    'th{width:16em;background:#eee}pre{white-space:pre-wrap;word-break:break-all;border:1px solid #999;padding:.5em}</style></head><body>' +
    `<h1>${escape(title)}</h1>` +
    `<p>${escape(document.whatToDo ?? '')}</p>` +
    '<table>' +
    row('Request', request.id) +
    row('Status', request.status) +
    row('Opened', request.openedAt.toISOString()) +
    row('Site', `${document.site?.name ?? ''} (${document.site?.fhirBaseUrl ?? ''})`) +
    row('App vendor', document.vendor?.name) +
    row('Current client ID', document.currentClientId) +
    (request.kind === 'rotation' ? row('Secret expires', document.clientSecretExpiresAt) : '') +
    '</table>' +
    `<h2>Client to register</h2><table>${rows}</table>${changes}` +
    `<h2>RFC 7591 client metadata (JSON)</h2><pre>${escape(JSON.stringify(document.clientMetadata ?? {}, null, 2))}</pre>` +
    '</body></html>'
  );
}
