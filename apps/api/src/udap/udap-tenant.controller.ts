import { Body, Controller, Delete, Get, HttpCode, Post, Put, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { ValidationError, type TenantActor } from '#domain';
import {
  AppCertificatesService,
  SoftwareStatementsService,
  softwareStatementSchema,
  UdapRegistrationUseCase,
  UdapTokenService,
  certificateView,
  createCertificateSchema,
  importCertificateSchema,
  udapSettingsSchema,
  uploadChainSchema,
} from '#registration';
import { CurrentTenant, RequireScopes, TenantGuard } from '../auth/tenant.guard.js';
import { ApiZodBody } from '../http/openapi.js';
import { toRegistrationSummary } from '../http/responses.js';
import { UuidParam } from '../http/uuid-param.js';

/**
 * An app's UDAP identities (one certificate per trust community) and its UDAP registrations.
 * Responses show the certificate's subject, SAN, expiry and community, never the private key.
 */
@ApiTags('tenant: UDAP')
@ApiBearerAuth('tenant')
@UseGuards(TenantGuard)
@Controller('v1')
export class UdapTenantController {
  constructor(
    private readonly certificates: AppCertificatesService,
    private readonly registrations: UdapRegistrationUseCase,
    private readonly tokens: UdapTokenService,
    private readonly softwareStatements: SoftwareStatementsService,
  ) {}

  /**
   * RFC 7591 §2.3 software statement for plain RFC 7591 sites that require one: `supplied`
   * (write-only JWT), `managed` (the broker signs with the app's managed key) or `none`.
   */
  @Put('apps/:appId/software-statement')
  @RequireScopes('apps:write')
  @ApiZodBody(softwareStatementSchema)
  async softwareStatement(
    @CurrentTenant() actor: TenantActor,
    @UuidParam('appId', 'app') appId: string,
    @Body() body: unknown,
  ) {
    return this.softwareStatements.configure(actor, appId, body);
  }

  /** The broker makes a key pair and answers with the CSR (`csr`, PEM) for the community CA. */
  @Post('apps/:appId/udap/certificates')
  @RequireScopes('apps:write')
  @ApiZodBody(createCertificateSchema)
  async create(@CurrentTenant() actor: TenantActor, @UuidParam('appId', 'app') appId: string, @Body() body: unknown) {
    return certificateView(await this.certificates.create(actor, appId, body));
  }

  /** An existing certificate chain and its private key (write-only). */
  @Post('apps/:appId/udap/certificates/import')
  @RequireScopes('apps:write')
  @ApiZodBody(importCertificateSchema)
  async import(@CurrentTenant() actor: TenantActor, @UuidParam('appId', 'app') appId: string, @Body() body: unknown) {
    return certificateView(await this.certificates.importWithKey(actor, appId, body));
  }

  @Get('apps/:appId/udap/certificates')
  @RequireScopes('apps:read')
  async list(@CurrentTenant() actor: TenantActor, @UuidParam('appId', 'app') appId: string) {
    return { items: (await this.certificates.list(actor, appId)).map(certificateView) };
  }

  /** Active certificates expiring within `withinDays` (default 30) that no renewal was started for. */
  @Get('udap/certificates/expiring')
  @RequireScopes('apps:read')
  async expiring(@CurrentTenant() actor: TenantActor, @Query('withinDays') withinDays?: string) {
    const days = withinDays === undefined ? 30 : Number(withinDays);
    if (!Number.isInteger(days) || days < 0 || days > 3650) {
      throw new ValidationError('invalid query', [
        { path: 'withinDays', message: 'must be a whole number of days, 0 to 3650' },
      ]);
    }
    return { items: (await this.certificates.expiring(actor, days)).map(certificateView) };
  }

  @Get('udap/certificates/:id')
  @RequireScopes('apps:read')
  async get(@CurrentTenant() actor: TenantActor, @UuidParam('id', 'certificate') id: string) {
    return certificateView(await this.certificates.get(actor, id));
  }

  /** The issued chain (leaf first) for the CSR. A renewal's chain re-registers every UDAP registration of the old one. */
  @Put('udap/certificates/:id/chain')
  @RequireScopes('apps:write')
  @ApiZodBody(uploadChainSchema)
  async uploadChain(
    @CurrentTenant() actor: TenantActor,
    @UuidParam('id', 'certificate') id: string,
    @Body() body: unknown,
  ) {
    const certificate = await this.certificates.uploadChain(actor, id, body);
    const reRegistered = certificate.replacesId
      ? await this.registrations.switchCertificate(actor, certificate.replacesId, certificate.id)
      : [];
    return { ...certificateView(certificate), reRegistered: reRegistered.map(toRegistrationSummary) };
  }

  /** A new key and CSR for the same client URI (renewal before expiry). */
  @Post('udap/certificates/:id/renew')
  @RequireScopes('apps:write')
  async renew(@CurrentTenant() actor: TenantActor, @UuidParam('id', 'certificate') id: string) {
    return certificateView(await this.certificates.renew(actor, id));
  }

  /** The hl7-b2b extension values (organization_id, purpose_of_use...) of the app's token requests. */
  @Put('apps/:appId/udap/settings')
  @RequireScopes('apps:write')
  @ApiZodBody(udapSettingsSchema)
  async settings(@CurrentTenant() actor: TenantActor, @UuidParam('appId', 'app') appId: string, @Body() body: unknown) {
    return this.tokens.setB2b(actor, appId, body);
  }

  /** What the app needs for UDAP token requests at this site (client_id, token endpoint, extensions). */
  @Get('registrations/:id/udap')
  @RequireScopes('registrations:read')
  async describe(@CurrentTenant() actor: TenantActor, @UuidParam('id', 'registration') id: string) {
    return this.tokens.describe(actor, id);
  }

  /** IG §3.4 modification: registers again with the same iss and the app's current metadata. */
  @Post('registrations/:id/udap/modify')
  @RequireScopes('registrations:write')
  async modify(@CurrentTenant() actor: TenantActor, @UuidParam('id', 'registration') id: string) {
    return toRegistrationSummary(await this.registrations.modify(actor.tenantId, id, actor));
  }

  /** IG §3.4 cancellation: registers with an empty grant_types. */
  @Delete('registrations/:id/udap')
  @RequireScopes('registrations:write')
  async cancel(@CurrentTenant() actor: TenantActor, @UuidParam('id', 'registration') id: string) {
    return toRegistrationSummary(await this.registrations.cancel(actor.tenantId, id, actor));
  }

  /** A client_credentials token request with the UDAP assertion (`?b2b=false` leaves the extension out). */
  @Post('registrations/:id/udap/token-check')
  @RequireScopes('registrations:write')
  @HttpCode(200)
  async tokenCheck(
    @CurrentTenant() actor: TenantActor,
    @UuidParam('id', 'registration') id: string,
    @Query('b2b') b2b?: string,
  ) {
    return this.tokens.check(actor, id, { b2b: b2b === undefined ? undefined : b2b !== 'false' });
  }
}
