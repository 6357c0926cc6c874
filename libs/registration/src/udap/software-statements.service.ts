import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { importJWK, SignJWT, type JWK } from 'jose';
import { BROKER_CONFIG, type BrokerConfig } from '#config';
import { DomainError, ErrorCode, SECRET_STORE, SecretValue, type SecretStore, type TenantActor } from '#domain';
import { AppRepository, AuditRepository, PrismaService, type RegistrationContext } from '#persistence';
import { secretNames } from '#secrets';
import { ManagedKeysService } from '../signing-keys/managed-keys.service.js';
import { parseInput, softwareStatementSchema } from './udap-input.js';

/**
 * RFC 7591 §2.3 software statements for plain RFC 7591 registrations: a JWT asserting the
 * app's metadata, either supplied by the tenant (kept in the secret store: a bearer-like
 * credential of the software publisher) or signed by the broker with the app's managed
 * private_key_jwt key (its `kid` is in the app's public JWKS, the registered jwks_uri). Sent to
 * the sites whose policy requires one (`requiresSoftwareStatement`); a site's
 * `invalid_software_statement` / `unapproved_software_statement` is reported as such
 * (permanent, registration-errors).
 */
@Injectable()
export class SoftwareStatementsService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly apps: AppRepository,
    private readonly audit: AuditRepository,
    private readonly managedKeys: ManagedKeysService,
    @Inject(SECRET_STORE) private readonly secrets: SecretStore,
    @Inject(BROKER_CONFIG) private readonly config: BrokerConfig,
  ) {}

  async configure(
    actor: TenantActor,
    appId: string,
    input: unknown,
  ): Promise<{ mode: 'supplied' | 'managed' | 'none' }> {
    const body = parseInput(softwareStatementSchema, input, 'software statement');
    const app = await this.apps.findById(actor.tenantId, appId);
    if (body.mode === 'managed' && app.keyManagement !== 'managed') {
      throw new DomainError(
        ErrorCode.ValidationFailed,
        'a broker-signed software statement needs keyManagement: managed',
      );
    }
    let ref: { name: string; versionId: string } | null = null;
    if (body.mode === 'supplied') {
      if (body.softwareStatement.split('.').length !== 3) {
        throw new DomainError(ErrorCode.ValidationFailed, 'softwareStatement must be a signed JWT (RFC 7591 §2.3)');
      }
      ref = await this.secrets.put(
        secretNames.appSoftwareStatement(actor.tenantId, appId),
        new SecretValue(body.softwareStatement),
        {
          requestToken: randomUUID(),
          tags: { 'broker:tenant': actor.tenantId, 'broker:app': appId },
        },
      );
    }
    await this.prisma.app.updateMany({
      where: { id: appId, tenantId: actor.tenantId },
      data: {
        softwareStatementMode: body.mode === 'none' ? null : body.mode,
        softwareStatementSecret: ref?.name ?? null,
        softwareStatementVersion: ref?.versionId ?? null,
      },
    });
    await this.audit.record({
      actor,
      tenantId: actor.tenantId,
      appId,
      action: 'app.software_statement_configured',
      outcome: 'success',
      details: { mode: body.mode },
    });
    return { mode: body.mode };
  }

  /** The statement to send to this site, or undefined when the site does not require one or the app has none. */
  async forSite(
    { registration, app, sitePolicy }: RegistrationContext,
    metadata: Readonly<Record<string, unknown>>,
  ): Promise<string | undefined> {
    if (!sitePolicy.requiresSoftwareStatement) return undefined;
    const row = await this.prisma.app.findFirst({
      where: { id: app.id, tenantId: registration.tenantId },
      select: { softwareStatementMode: true, softwareStatementSecret: true, softwareStatementVersion: true },
    });
    if (row?.softwareStatementMode === 'supplied' && row.softwareStatementSecret) {
      const stored = await this.secrets.get(row.softwareStatementSecret, {
        versionId: row.softwareStatementVersion ?? undefined,
      });
      return stored?.value.reveal();
    }
    if (row?.softwareStatementMode === 'managed') {
      const key = await this.managedKeys.activePrivateKey(registration.tenantId, app.id);
      if (!key) return undefined;
      const signingKey = await importJWK(JSON.parse(key.privateJwk.reveal()) as JWK, key.alg);
      const now = Math.floor(Date.now() / 1000);
      // RFC 7591 §2.3: the statement carries client metadata values; iss names its issuer (the broker, for this app).
      const { jwks: _jwks, software_statement: _nested, ...claims } = metadata as Record<string, unknown>;
      return new SignJWT({ ...claims, software_id: metadata.software_id ?? app.id })
        .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' })
        .setIssuer(`${this.config.api.publicBaseUrl}/v1/public/apps/${app.id}`)
        .setIssuedAt(now)
        .setJti(randomUUID())
        .sign(signingKey);
    }
    return undefined;
  }
}
