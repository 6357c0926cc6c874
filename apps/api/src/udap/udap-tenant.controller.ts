import { Body, Controller, Delete, Get, HttpCode, Post, Put, Query, UseGuards } from '@nestjs/common';
import { ApiQuery, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { ValidationError, type Registration, type TenantActor } from '#domain';
import {
  AppCertificatesService,
  HealthSystemsService,
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
import { ApiAnswer, ApiProblems, ApiZodBody, Doc } from '../http/openapi.js';
import {
  AppCertificateListSchema,
  AppCertificateSchema,
  RegistrationSummarySchema,
  SoftwareStatementConfigSchema,
  UdapClientDescriptionSchema,
  UdapSettingsSchema,
  UdapTokenCheckSchema,
  UploadedChainSchema,
} from '../http/schemas.js';
import { toRegistrationSummary } from '../http/responses.js';
import { UuidParam } from '../http/uuid-param.js';

/**
 * An app's UDAP identities (one certificate per trust community) and its UDAP registrations.
 * Responses show the certificate's subject, SAN, expiry and community, never the private key.
 */
@ApiTags('tenant: UDAP')
@ApiSecurity('tenant')
@UseGuards(TenantGuard)
@Controller('v1')
export class UdapTenantController {
  constructor(
    private readonly certificates: AppCertificatesService,
    private readonly registrations: UdapRegistrationUseCase,
    private readonly tokens: UdapTokenService,
    private readonly softwareStatements: SoftwareStatementsService,
    private readonly healthSystems: HealthSystemsService,
  ) {}

  /** Registration summaries naming their sites. */
  private async summaries(registrations: Registration[]) {
    const names = await this.healthSystems.namesOf(registrations.map((registration) => registration.healthSystemId));
    return registrations.map((registration) =>
      toRegistrationSummary(registration, names.get(registration.healthSystemId) ?? ''),
    );
  }

  /**
   * RFC 7591 §2.3 software statement for plain RFC 7591 sites that require one: `supplied`
   * (write-only JWT), `managed` (the broker signs with the app's managed key) or `none`.
   */
  @Put('apps/:appId/software-statement')
  @RequireScopes('apps:write')
  @Doc(
    'Set the app’s software statement',
    'RFC 7591 §2.3, for sites that require one: `supplied` (a JWT, write-only), `managed` (the broker signs with the ' +
      'app’s managed key) or `none`.',
  )
  @ApiZodBody(softwareStatementSchema, 'SoftwareStatementInput')
  @ApiAnswer(200, 'The app’s software statement mode.', SoftwareStatementConfigSchema)
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
  @Doc(
    'Create a UDAP certificate request',
    'The broker makes a key pair and answers with the CSR for the community CA.',
  )
  @ApiZodBody(createCertificateSchema, 'AppCertificateInput')
  @ApiAnswer(201, 'The certificate, awaiting its chain.', AppCertificateSchema)
  async create(@CurrentTenant() actor: TenantActor, @UuidParam('appId', 'app') appId: string, @Body() body: unknown) {
    return certificateView(await this.certificates.create(actor, appId, body));
  }

  /** An existing certificate chain and its private key (write-only). */
  @Post('apps/:appId/udap/certificates/import')
  @RequireScopes('apps:write')
  @Doc('Import a UDAP certificate', 'An existing chain and its private key (write-only: kept in the secret store).')
  @ApiZodBody(importCertificateSchema, 'AppCertificateImport')
  @ApiAnswer(201, 'The certificate.', AppCertificateSchema)
  async import(@CurrentTenant() actor: TenantActor, @UuidParam('appId', 'app') appId: string, @Body() body: unknown) {
    return certificateView(await this.certificates.importWithKey(actor, appId, body));
  }

  @Get('apps/:appId/udap/certificates')
  @RequireScopes('apps:read')
  @Doc('List an app’s UDAP certificates', 'Subject, SAN, expiry and community of each; never a private key.')
  @ApiAnswer(200, 'The certificates.', AppCertificateListSchema)
  async list(@CurrentTenant() actor: TenantActor, @UuidParam('appId', 'app') appId: string) {
    return { items: (await this.certificates.list(actor, appId)).map(certificateView) };
  }

  /** Active certificates expiring within `withinDays` (default 30) that no renewal was started for. */
  @Get('udap/certificates/expiring')
  @RequireScopes('apps:read')
  @Doc(
    'List expiring UDAP certificates',
    'Active certificates expiring within `withinDays` that no renewal was started for.',
  )
  @ApiQuery({
    name: 'withinDays',
    required: false,
    description: 'Days ahead, 0 to 3650 (default 30).',
    schema: { type: 'integer', minimum: 0, maximum: 3650, default: 30 },
  })
  @ApiAnswer(200, 'The certificates.', AppCertificateListSchema)
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
  @Doc('Get a UDAP certificate', 'Subject, SAN, expiry, community and state; never the private key.')
  @ApiAnswer(200, 'The certificate.', AppCertificateSchema)
  async get(@CurrentTenant() actor: TenantActor, @UuidParam('id', 'certificate') id: string) {
    return certificateView(await this.certificates.get(actor, id));
  }

  /** The issued chain (leaf first) for the CSR. A renewal's chain re-registers every UDAP registration of the old one. */
  @Put('udap/certificates/:id/chain')
  @RequireScopes('apps:write')
  @Doc(
    'Upload a UDAP certificate chain',
    'The issued chain (leaf first) for the CSR. A renewal’s chain re-registers every UDAP registration of the old one.',
  )
  @ApiZodBody(uploadChainSchema, 'CertificateChainInput')
  @ApiAnswer(200, 'The certificate and the registrations registered again.', UploadedChainSchema)
  async uploadChain(
    @CurrentTenant() actor: TenantActor,
    @UuidParam('id', 'certificate') id: string,
    @Body() body: unknown,
  ) {
    const certificate = await this.certificates.uploadChain(actor, id, body);
    const reRegistered = certificate.replacesId
      ? await this.registrations.switchCertificate(actor, certificate.replacesId, certificate.id)
      : [];
    return { ...certificateView(certificate), reRegistered: await this.summaries(reRegistered) };
  }

  /** A new key and CSR for the same client URI (renewal before expiry). */
  @Post('udap/certificates/:id/renew')
  @RequireScopes('apps:write')
  @Doc('Renew a UDAP certificate', 'A new key and CSR for the same client URI, before the old one expires.')
  @ApiAnswer(201, 'The new certificate, awaiting its chain.', AppCertificateSchema)
  async renew(@CurrentTenant() actor: TenantActor, @UuidParam('id', 'certificate') id: string) {
    return certificateView(await this.certificates.renew(actor, id));
  }

  /** The hl7-b2b extension values (organization_id, purpose_of_use...) of the app's token requests. */
  @Put('apps/:appId/udap/settings')
  @RequireScopes('apps:write')
  @Doc('Set the app’s UDAP B2B values', 'The hl7-b2b extension values of its client_credentials token requests.')
  @ApiZodBody(udapSettingsSchema, 'UdapSettingsInput')
  @ApiAnswer(200, 'The settings.', UdapSettingsSchema)
  async settings(@CurrentTenant() actor: TenantActor, @UuidParam('appId', 'app') appId: string, @Body() body: unknown) {
    return this.tokens.setB2b(actor, appId, body);
  }

  /** What the app needs for UDAP token requests at this site (client_id, token endpoint, extensions). */
  @Get('registrations/:id/udap')
  @RequireScopes('registrations:read')
  @Doc('Describe a UDAP registration', 'What the app needs for UDAP token requests at this site.')
  @ApiAnswer(200, 'The description.', UdapClientDescriptionSchema)
  async describe(@CurrentTenant() actor: TenantActor, @UuidParam('id', 'registration') id: string) {
    return this.tokens.describe(actor, id);
  }

  /** IG §3.4 modification: registers again with the same iss and the app's current metadata. */
  @Post('registrations/:id/udap/modify')
  @RequireScopes('registrations:write')
  @Doc('Modify a UDAP registration', 'IG §3.4: registers again with the same iss and the app’s current metadata.')
  @ApiAnswer(201, 'The registration.', RegistrationSummarySchema)
  @ApiProblems(409)
  async modify(@CurrentTenant() actor: TenantActor, @UuidParam('id', 'registration') id: string) {
    const [summary] = await this.summaries([await this.registrations.modify(actor.tenantId, id, actor)]);
    return summary!;
  }

  /** IG §3.4 cancellation: registers with an empty grant_types. */
  @Delete('registrations/:id/udap')
  @RequireScopes('registrations:write')
  @Doc('Cancel a UDAP registration', 'IG §3.4: registers with an empty grant_types; the site ends the client.')
  @ApiAnswer(200, 'The registration.', RegistrationSummarySchema)
  @ApiProblems(409)
  async cancel(@CurrentTenant() actor: TenantActor, @UuidParam('id', 'registration') id: string) {
    const [summary] = await this.summaries([await this.registrations.cancel(actor.tenantId, id, actor)]);
    return summary!;
  }

  /** A client_credentials token request with the UDAP assertion (`?b2b=false` leaves the extension out). */
  @Post('registrations/:id/udap/token-check')
  @RequireScopes('registrations:write')
  @Doc(
    'Check a UDAP token request',
    'A client_credentials token request with the UDAP assertion; the token is not shown.',
  )
  @ApiQuery({
    name: 'b2b',
    required: false,
    description: '`false` leaves the hl7-b2b extension out.',
    schema: { type: 'string', enum: ['true', 'false'] },
  })
  @ApiAnswer(200, 'The outcome.', UdapTokenCheckSchema)
  @HttpCode(200)
  async tokenCheck(
    @CurrentTenant() actor: TenantActor,
    @UuidParam('id', 'registration') id: string,
    @Query('b2b') b2b?: string,
  ) {
    return this.tokens.check(actor, id, { b2b: b2b === undefined ? undefined : b2b !== 'false' });
  }
}
