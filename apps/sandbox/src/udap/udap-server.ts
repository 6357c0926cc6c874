import { randomBytes, randomUUID, X509Certificate } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { compactVerify, decodeProtectedHeader, importPKCS8, SignJWT } from 'jose';
import { z } from 'zod';
import { HttpError, readJson, sendJson } from '../http-io.js';
import {
  createAuthority,
  CsrError,
  issueIdentity,
  nodeCertificate,
  pemOf,
  signCsr,
  x5cOf,
  type CertificateAuthority,
  type IssuedIdentity,
} from './udap-pki.js';

/**
 * UDAP sites of the sandbox: strict servers of the HL7 UDAP Security IG (STU 2) with their own
 * test PKI. Everything lives under `/udap`:
 * - `GET  /udap/community`: the community URI and its trust anchor (PEM)
 * - `POST /udap/ca/sign` `{csr, notBefore?, notAfter?, untrusted?}`: the community CA (or an untrusted one) signs a CSR
 * - `POST /udap/sites` `{name, b2b?, newClientIdOnModify?, metadataFault?}`, `GET /udap/sites`
 * - `GET  /udap/sites/{name}/fhir/.well-known/udap[?community=]`: metadata + signed_metadata (IG §2)
 * - `POST /udap/sites/{name}/register`: UDAP DCR (IG §3), modification and cancellation (§3.4)
 * - `POST /udap/sites/{name}/token`: client_credentials with a UDAP client assertion (IG §5.2, §5.3)
 * - `GET  /udap/sites/{name}/clients`: what the site holds (for tests and demos)
 */

export type MetadataFault = 'tampered' | 'wrong-iss' | 'untrusted-signer' | 'expired-signer';

export const udapSiteOptionsSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/i),
  /** hl7-b2b authorization extension: not offered, supported, or required in every token request. */
  b2b: z.enum(['none', 'supported', 'required']).default('supported'),
  /** A modification answers with a new client_id (201) and cancels the old one (IG §3.4). */
  newClientIdOnModify: z.boolean().default(false),
  metadataFault: z.enum(['tampered', 'wrong-iss', 'untrusted-signer', 'expired-signer']).optional(),
});
export type UdapSiteOptions = z.input<typeof udapSiteOptionsSchema>;

const SCOPES = ['system/*.rs', 'system/*.read', 'system/Patient.rs', 'user/*.rs', 'patient/*.rs', 'openid', 'fhirUser'];
const MAX_JWT_LIFETIME = 300; // IG §3.1 and §5.3: exp - iat ≤ 5 minutes

export interface UdapClient {
  clientId: string;
  iss: string;
  grantTypes: string[];
  metadata: Record<string, unknown>;
  registeredAt: string;
  modifiedAt?: string;
  tokenRequests: Array<{ at: string; extensions?: Record<string, unknown>; certificateSerial: string }>;
}

export interface UdapSiteInfo {
  name: string;
  fhirBaseUrl: string;
  registrationEndpoint: string;
  tokenEndpoint: string;
}

class UdapSite {
  /** Registrations by the client URI (`iss`); one community here, so the key is the iss alone. */
  readonly byIss = new Map<string, UdapClient>();
  readonly cancelled: UdapClient[] = [];
  readonly seenJti = new Map<string, number>();
  readonly refusals: Array<{ at: string; endpoint: string; error: string; description: string }> = [];

  constructor(
    readonly options: z.output<typeof udapSiteOptionsSchema>,
    readonly base: string,
    readonly server: IssuedIdentity,
  ) {}

  get fhirBaseUrl() {
    return `${this.base}/fhir`;
  }
  get registrationEndpoint() {
    return `${this.base}/register`;
  }
  get tokenEndpoint() {
    return `${this.base}/token`;
  }
  info(): UdapSiteInfo {
    return {
      name: this.options.name,
      fhirBaseUrl: this.fhirBaseUrl,
      registrationEndpoint: this.registrationEndpoint,
      tokenEndpoint: this.tokenEndpoint,
    };
  }
  client(clientId: string): UdapClient | undefined {
    return [...this.byIss.values()].find((client) => client.clientId === clientId);
  }
  /** IG §7.1.4: a jti may not come back before the JWT that used it expired. */
  replayed(iss: string, jti: string, exp: number): boolean {
    const now = Math.floor(Date.now() / 1000);
    for (const [key, until] of this.seenJti) if (until < now) this.seenJti.delete(key);
    const key = `${iss} ${jti}`;
    if (this.seenJti.has(key)) return true;
    this.seenJti.set(key, exp);
    return false;
  }
}

export interface UdapSandbox {
  communityUri: string;
  /** The community CA certificate (PEM): the trust anchor. */
  trustAnchorPem: string;
  addSite(options: UdapSiteOptions): Promise<UdapSiteInfo>;
  site(name: string): UdapSiteInfo | undefined;
  sites(): UdapSiteInfo[];
  clients(name: string): UdapClient[];
  /** The community CA signs a CSR (PEM); `untrusted` uses a CA outside the community. */
  signCsr(csrPem: string, options?: { notBefore?: Date; notAfter?: Date; untrusted?: boolean }): Promise<string>;
  /** A key + certificate made here (tests of chain + key upload and of refused certificates). */
  issueIdentity(
    sanUri: string,
    options?: { notBefore?: Date; notAfter?: Date; untrusted?: boolean },
  ): Promise<{ certificatePem: string; privateKeyPem: string }>;
  handle(req: IncomingMessage, res: ServerResponse, segments: string[], query: URLSearchParams): Promise<void>;
}

export async function createUdapSandbox(origin: string): Promise<UdapSandbox> {
  const community = await createAuthority('Sandbox UDAP Community CA');
  const untrusted = await createAuthority('Untrusted CA');
  const communityUri = `${origin}/udap/community`;
  const sites = new Map<string, UdapSite>();
  const authorityFor = (isUntrusted?: boolean): CertificateAuthority => (isUntrusted ? untrusted : community);

  const sandbox: UdapSandbox = {
    communityUri,
    trustAnchorPem: pemOf(community.certificate),
    async addSite(input) {
      const options = udapSiteOptionsSchema.parse(input);
      if (sites.has(options.name))
        throw new HttpError(409, 'site_exists', `a UDAP site named ${options.name} exists already`);
      const base = `${origin}/udap/sites/${options.name}`;
      const fault = options.metadataFault;
      const server = await issueIdentity(
        authorityFor(fault === 'untrusted-signer'),
        `UDAP site ${options.name}`,
        `${base}/fhir`,
        fault === 'expired-signer'
          ? { notBefore: new Date(Date.now() - 10 * 86_400_000), notAfter: new Date(Date.now() - 86_400_000) }
          : {},
      );
      const site = new UdapSite(options, base, server);
      sites.set(options.name, site);
      return site.info();
    },
    site: (name) => sites.get(name)?.info(),
    sites: () => [...sites.values()].map((site) => site.info()),
    clients: (name) => [...(sites.get(name)?.byIss.values() ?? [])],
    signCsr: (csrPem, options = {}) => signCsr(authorityFor(options.untrusted), csrPem, options),
    async issueIdentity(sanUri, options = {}) {
      const identity = await issueIdentity(authorityFor(options.untrusted), 'Sandbox-issued app', sanUri, options);
      return { certificatePem: pemOf(identity.certificate), privateKeyPem: identity.privateKeyPem };
    },
    async handle(req, res, segments, query) {
      const [first, second, third, ...rest] = segments;
      if (req.method === 'GET' && first === 'community' && !second) {
        return sendJson(res, 200, { uri: communityUri, trustAnchors: [sandbox.trustAnchorPem] });
      }
      if (req.method === 'POST' && first === 'ca' && second === 'sign') {
        const body = z
          .object({
            csr: z.string(),
            notBefore: z.iso.datetime().optional(),
            notAfter: z.iso.datetime().optional(),
            untrusted: z.boolean().optional(),
          })
          .safeParse(await readJson(req));
        if (!body.success)
          throw new HttpError(400, 'invalid_request', 'expected {csr, notBefore?, notAfter?, untrusted?}');
        try {
          const certificate = await sandbox.signCsr(body.data.csr, {
            notBefore: body.data.notBefore ? new Date(body.data.notBefore) : undefined,
            notAfter: body.data.notAfter ? new Date(body.data.notAfter) : undefined,
            untrusted: body.data.untrusted,
          });
          return sendJson(res, 200, { certificate, chain: [certificate] });
        } catch (error) {
          if (error instanceof CsrError) throw new HttpError(400, 'invalid_request', error.message);
          throw error;
        }
      }
      if (first === 'sites' && !second) {
        if (req.method === 'GET') return sendJson(res, 200, { sites: sandbox.sites() });
        if (req.method === 'POST') {
          const parsed = udapSiteOptionsSchema.safeParse(await readJson(req));
          if (!parsed.success)
            throw new HttpError(400, 'invalid_request', parsed.error.issues.map((i) => i.message).join('; '));
          return sendJson(res, 201, await sandbox.addSite(parsed.data));
        }
      }
      const site = first === 'sites' && second ? sites.get(second) : undefined;
      if (!site) throw new HttpError(404, 'not_found', 'no such UDAP resource');
      const path = [third, ...rest].join('/');
      if (req.method === 'GET' && path === 'fhir/.well-known/udap')
        return serveMetadata(site, res, query, communityUri);
      if (req.method === 'POST' && path === 'register') return register(site, req, res, community);
      if (req.method === 'POST' && path === 'token') return token(site, req, res, community);
      if (req.method === 'GET' && path === 'clients') {
        return sendJson(res, 200, {
          clients: [...site.byIss.values()],
          cancelled: site.cancelled,
          refusals: site.refusals,
        });
      }
      throw new HttpError(404, 'not_found', `no UDAP resource at ${path}`);
    },
  };
  return sandbox;
}

/** IG §2.2 metadata with the §2.3 signed_metadata JWT (RS256, x5c = the site's certificate). */
async function serveMetadata(site: UdapSite, res: ServerResponse, query: URLSearchParams, communityUri: string) {
  const community = query.get('community');
  // IG §2.4: an unknown community MAY be answered 204 No Content.
  if (community !== null && community !== communityUri) {
    res.writeHead(204).end();
    return;
  }
  const b2b = site.options.b2b;
  const metadata = {
    udap_versions_supported: ['1'],
    udap_profiles_supported: ['udap_dcr', 'udap_authn', 'udap_authz'],
    udap_authorization_extensions_supported: b2b === 'none' ? [] : ['hl7-b2b'],
    ...(b2b !== 'none' && { udap_authorization_extensions_required: b2b === 'required' ? ['hl7-b2b'] : [] }),
    udap_certifications_supported: [],
    grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials'],
    scopes_supported: SCOPES,
    authorization_endpoint: `${site.base}/authorize`,
    token_endpoint: site.tokenEndpoint,
    token_endpoint_auth_methods_supported: ['private_key_jwt'],
    token_endpoint_auth_signing_alg_values_supported: ['RS256', 'RS384', 'ES256', 'ES384'],
    registration_endpoint: site.registrationEndpoint,
    registration_endpoint_jwt_signing_alg_values_supported: ['RS256', 'RS384', 'ES256', 'ES384'],
  };
  const now = Math.floor(Date.now() / 1000);
  const fault = site.options.metadataFault;
  const key = await importPKCS8(site.server.privateKeyPem, 'RS256');
  let signed = await new SignJWT({
    iss: fault === 'wrong-iss' ? `${site.base}/other` : site.fhirBaseUrl,
    sub: fault === 'wrong-iss' ? `${site.base}/other` : site.fhirBaseUrl,
    iat: now,
    exp: now + 7 * 86_400,
    jti: randomUUID(),
    authorization_endpoint: metadata.authorization_endpoint,
    token_endpoint: metadata.token_endpoint,
    registration_endpoint: metadata.registration_endpoint,
  })
    .setProtectedHeader({ alg: 'RS256', x5c: [x5cOf(site.server.certificate)] })
    .sign(key);
  if (fault === 'tampered') {
    // The payload says another registration endpoint; the signature no longer matches.
    const [header, payload, signature] = signed.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    claims.registration_endpoint = 'https://attacker.example/register';
    signed = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
  }
  sendJson(res, 200, { ...metadata, signed_metadata: signed }, { 'cache-control': 'max-age=300' });
}

class Refusal extends HttpError {}

function refuse(site: UdapSite, endpoint: string, status: number, error: string, description: string): never {
  site.refusals.push({ at: new Date().toISOString(), endpoint, error, description });
  throw new Refusal(status, error, description);
}

interface VerifiedJwt {
  claims: Record<string, unknown>;
  leaf: X509Certificate;
  sanUris: string[];
}

/** Chain (leaf → community CA, validity) and signature of an x5c JWT; the reason in words. */
async function verifyX5c(jwt: string, community: CertificateAuthority): Promise<VerifiedJwt | string> {
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(jwt);
  } catch {
    return 'not a compact JWS';
  }
  if (!['RS256', 'RS384', 'ES256', 'ES384'].includes(String(header.alg)))
    return `unsupported alg ${String(header.alg)}`;
  if (!Array.isArray(header.x5c) || header.x5c.length === 0) return 'no x5c header';
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(Buffer.from(String(header.x5c[0]), 'base64'));
  } catch {
    return 'x5c[0] is not a certificate';
  }
  const anchor = nodeCertificate(community.certificate);
  if (!(leaf.issuer === anchor.subject && leaf.verify(anchor.publicKey)))
    return 'UNTRUSTED: the certificate does not chain to the community trust anchor';
  const now = new Date();
  if (now > new Date(leaf.validTo) || now < new Date(leaf.validFrom))
    return 'UNTRUSTED: the certificate is expired or not yet valid';
  try {
    const { payload } = await compactVerify(jwt, leaf.publicKey, { algorithms: [String(header.alg)] });
    const claims = JSON.parse(Buffer.from(payload).toString()) as Record<string, unknown>;
    const sanUris = [...(leaf.subjectAltName ?? '').matchAll(/URI:([^,]+)/g)].map((m) => m[1].trim());
    return { claims, leaf, sanUris };
  } catch {
    return 'the signature does not verify with the x5c leaf';
  }
}

function timesProblem(claims: Record<string, unknown>): string | undefined {
  const now = Math.floor(Date.now() / 1000);
  if (typeof claims.exp !== 'number' || typeof claims.iat !== 'number') return 'exp and iat are required';
  if (claims.exp < now) return 'the JWT has expired';
  if (claims.exp - claims.iat > MAX_JWT_LIFETIME) return 'exp is more than 5 minutes after iat';
  if (typeof claims.jti !== 'string' || !claims.jti) return 'jti is required';
  return undefined;
}

/** UDAP DCR as IG §3 has it, including §3.4 modification (same iss) and cancellation (empty grant_types). */
async function register(site: UdapSite, req: IncomingMessage, res: ServerResponse, community: CertificateAuthority) {
  const refused = (status: number, error: string, description: string) =>
    refuse(site, 'register', status, error, description);
  const body = (await readJson(req)) as Record<string, unknown>;
  if (body.udap !== '1') refused(400, 'invalid_client_metadata', 'the request must carry "udap": "1" (IG §3.2)');
  if (typeof body.software_statement !== 'string')
    refused(400, 'invalid_software_statement', 'software_statement is missing');
  const verified = await verifyX5c(body.software_statement as string, community);
  if (typeof verified === 'string') {
    // An untrusted or expired certificate is a statement the server does not approve; anything else is invalid.
    if (verified.startsWith('UNTRUSTED')) refused(400, 'unapproved_software_statement', verified.slice(11));
    refused(400, 'invalid_software_statement', verified);
  }
  const { claims, sanUris } = verified as VerifiedJwt;
  const iss = String(claims.iss ?? '');
  if (!sanUris.includes(iss))
    refused(400, 'invalid_software_statement', 'iss is not a URI SAN of the certificate (IG §3.1)');
  if (claims.sub !== iss) refused(400, 'invalid_software_statement', 'sub must equal iss (IG §3.1)');
  if (claims.aud !== site.registrationEndpoint) {
    refused(
      400,
      'invalid_software_statement',
      `aud must be the registration endpoint ${site.registrationEndpoint} (IG §3.1)`,
    );
  }
  const times = timesProblem(claims);
  if (times) refused(400, 'invalid_software_statement', `${times} (IG §3.1)`);
  if (site.replayed(iss, String(claims.jti), Number(claims.exp))) {
    refused(400, 'invalid_software_statement', 'jti was used already (IG §7.1.4)');
  }
  const grantTypes = Array.isArray(claims.grant_types) ? (claims.grant_types as string[]) : undefined;
  if (!grantTypes) refused(400, 'invalid_client_metadata', 'grant_types is required (IG §3.1)');
  const existing = site.byIss.get(iss);

  if (grantTypes!.length === 0) {
    // IG §3.4: an empty grant_types cancels the registration of this iss.
    if (!existing) refused(400, 'invalid_client_metadata', 'no registration of this iss to cancel');
    site.byIss.delete(iss);
    site.cancelled.push(existing!);
    return sendJson(res, 200, {
      client_id: existing!.clientId,
      software_statement: body.software_statement,
      grant_types: [],
    });
  }
  const metadataProblem = checkMetadata(claims, grantTypes!);
  if (metadataProblem) refused(400, 'invalid_client_metadata', metadataProblem);

  const scope = String(claims.scope ?? '')
    .split(' ')
    .filter((s) => SCOPES.includes(s))
    .join(' ');
  const metadata: Record<string, unknown> = {
    client_name: claims.client_name,
    grant_types: grantTypes,
    token_endpoint_auth_method: 'private_key_jwt',
    scope,
    contacts: claims.contacts,
    ...(claims.redirect_uris !== undefined && { redirect_uris: claims.redirect_uris }),
    ...(claims.response_types !== undefined && { response_types: claims.response_types }),
    ...(claims.logo_uri !== undefined && { logo_uri: claims.logo_uri }),
  };
  const now = new Date().toISOString();
  if (existing && !site.options.newClientIdOnModify) {
    Object.assign(existing, { grantTypes: grantTypes!, metadata, modifiedAt: now });
    return sendJson(res, 200, {
      client_id: existing.clientId,
      software_statement: body.software_statement,
      ...metadata,
    });
  }
  if (existing) {
    // IG §3.4: a new client_id for a modification cancels the previous one.
    site.cancelled.push(existing);
  }
  const client: UdapClient = {
    clientId: `udap-${randomBytes(9).toString('base64url')}`,
    iss,
    grantTypes: grantTypes!,
    metadata,
    registeredAt: now,
    tokenRequests: [],
  };
  site.byIss.set(iss, client);
  return sendJson(res, 201, { client_id: client.clientId, software_statement: body.software_statement, ...metadata });
}

function checkMetadata(claims: Record<string, unknown>, grantTypes: string[]): string | undefined {
  const code = grantTypes.includes('authorization_code');
  const cc = grantTypes.includes('client_credentials');
  if (code === cc) return 'grant_types must include authorization_code or client_credentials, not both (IG §3.1)';
  if (grantTypes.includes('refresh_token') && !code) return 'refresh_token requires authorization_code (IG §3.1)';
  if (claims.token_endpoint_auth_method !== 'private_key_jwt')
    return 'token_endpoint_auth_method must be private_key_jwt';
  if (typeof claims.client_name !== 'string' || !claims.client_name) return 'client_name is required';
  const contacts = Array.isArray(claims.contacts) ? (claims.contacts as unknown[]) : [];
  if (!contacts.some((c) => typeof c === 'string' && c.startsWith('mailto:')))
    return 'contacts needs a mailto: URI (IG §3.1)';
  if (code) {
    const redirects = claims.redirect_uris;
    if (!Array.isArray(redirects) || redirects.length === 0)
      return 'redirect_uris are required with authorization_code';
    if (!claims.logo_uri) return 'logo_uri is required with authorization_code';
    if (JSON.stringify(claims.response_types) !== '["code"]') return 'response_types must be ["code"]';
  } else if (claims.redirect_uris !== undefined || claims.response_types !== undefined) {
    return 'redirect_uris and response_types must be absent without authorization_code (IG §3.1)';
  }
  return undefined;
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

/** IG §5.2 client credentials with the §5.3 Authentication Token (and the hl7-b2b extension, §5.3.1). */
async function token(site: UdapSite, req: IncomingMessage, res: ServerResponse, community: CertificateAuthority) {
  const refused = (status: number, error: string, description: string) =>
    refuse(site, 'token', status, error, description);
  const form = await readForm(req);
  if (req.headers.authorization)
    refused(400, 'invalid_request', 'no Authorization header with UDAP client authentication (IG §5.2.1)');
  if (form.get('grant_type') !== 'client_credentials')
    refused(400, 'unsupported_grant_type', 'only client_credentials here');
  if (form.get('udap') !== '1') refused(400, 'invalid_request', 'udap=1 is required (IG §5.2.1)');
  if (form.get('client_assertion_type') !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer') {
    refused(400, 'invalid_request', 'client_assertion_type must be jwt-bearer');
  }
  const verified = await verifyX5c(form.get('client_assertion') ?? '', community);
  if (typeof verified === 'string') refused(401, 'invalid_client', verified.replace(/^UNTRUSTED: /, ''));
  const { claims, leaf, sanUris } = verified as VerifiedJwt;
  const client = site.client(String(claims.iss ?? ''));
  if (!client) refused(401, 'invalid_client', 'iss is not a registered client_id');
  if (claims.sub !== client!.clientId) refused(401, 'invalid_client', 'sub must equal the client_id (IG §5.3)');
  // The certificate must carry the URI the client registered with.
  if (!sanUris.includes(client!.iss))
    refused(401, 'invalid_client', 'the certificate does not name the registered client URI');
  if (claims.aud !== site.tokenEndpoint)
    refused(401, 'invalid_client', `aud must be the token endpoint ${site.tokenEndpoint}`);
  const times = timesProblem(claims);
  if (times) refused(401, 'invalid_client', `${times} (IG §5.3)`);
  if (site.replayed(client!.clientId, String(claims.jti), Number(claims.exp)))
    refused(401, 'invalid_client', 'jti replayed (IG §7.1.4)');
  if (!client!.grantTypes.includes('client_credentials'))
    refused(400, 'unauthorized_client', 'not registered for client_credentials');
  const extensions = (claims.extensions ?? undefined) as Record<string, any> | undefined;
  const b2b = extensions?.['hl7-b2b'];
  if (site.options.b2b === 'required' && !b2b) {
    refused(
      400,
      'invalid_grant',
      'the hl7-b2b authorization extension is required (udap_authorization_extensions_required)',
    );
  }
  if (b2b !== undefined) {
    if (site.options.b2b === 'none') refused(400, 'invalid_grant', 'hl7-b2b is not supported here');
    if (b2b.version !== '1') refused(400, 'invalid_grant', 'hl7-b2b version must be "1" (IG §5.3.1)');
    if (typeof b2b.organization_id !== 'string')
      refused(400, 'invalid_grant', 'hl7-b2b organization_id is required (IG §5.3.1)');
    if (!Array.isArray(b2b.purpose_of_use) || b2b.purpose_of_use.length === 0) {
      refused(400, 'invalid_grant', 'hl7-b2b purpose_of_use is required (IG §5.3.1)');
    }
  }
  client!.tokenRequests.push({ at: new Date().toISOString(), extensions, certificateSerial: leaf.serialNumber });
  const requested = (form.get('scope') ?? '').split(' ').filter(Boolean);
  const granted = String(client!.metadata.scope ?? '').split(' ');
  const scope = requested.length ? requested.filter((s) => granted.includes(s)).join(' ') : granted.join(' ');
  sendJson(res, 200, {
    access_token: `udap-at-${randomBytes(18).toString('base64url')}`,
    token_type: 'Bearer',
    expires_in: 300,
    scope,
  });
}
