import { Body, Controller, Get, HttpCode, Inject, Post, Query, Res, UseGuards } from '@nestjs/common';
import { ApiProduces, ApiResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { BROKER_CONFIG, type BrokerConfig } from '#config';
import type { PageRequest, HealthSystemActor } from '#domain';
import {
  RegistrationRequestsService,
  SiteAnswers,
  completeRequestSchema,
  declineRequestSchema,
  printableRequest,
} from '#registration';
import { CurrentSite, HealthSystemGuard } from '../auth/health-system.guard.js';
import { ApiAnswer, ApiPageQuery, ApiProblems, ApiZodBody, Doc } from '../http/openapi.js';
import { PageQuery, toListResponse } from '../http/pagination.js';
import { UuidParam } from '../http/uuid-param.js';
import {
  ApiSiteRequestFilters,
  SiteRequestPageSchema,
  SiteRequestSchema,
  toSiteRequestResponse,
} from './request-responses.js';

/** The printable page: nothing may run or load; only its own inline style. */
const PRINTABLE_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/**
 * A site's administrators (health-system key) and the requests the broker sends them for apps
 * to register by hand: read, export (JSON, printable page), answer (client id and secret) or
 * decline. Another site's request is "not found".
 */
@ApiTags('health-system administrator: registration requests')
@ApiSecurity('healthSystem')
@UseGuards(HealthSystemGuard)
@Controller('v1/site/registration-requests')
export class SiteRegistrationRequestsController {
  constructor(
    private readonly requests: RegistrationRequestsService,
    private readonly answers: SiteAnswers,
    @Inject(BROKER_CONFIG) private readonly config: BrokerConfig,
  ) {}

  @Get()
  @Doc(
    'List what the site is asked to do by hand',
    'Requests to register, change, re-key or remove an app’s client at the caller’s site; `?status=open` for those ' +
      'still waiting, each with its age and reminders.',
  )
  @ApiPageQuery()
  @ApiSiteRequestFilters(false)
  @ApiAnswer(200, 'One page of requests.', SiteRequestPageSchema)
  async list(
    @CurrentSite() site: HealthSystemActor,
    @Query() query: Record<string, unknown>,
    @PageQuery() page: PageRequest,
  ) {
    const { limit: _limit, cursor: _cursor, ...filter } = query;
    const found = await this.requests.list({ healthSystemId: site.healthSystemId }, filter, page);
    return toListResponse(found, (request) => toSiteRequestResponse(this.config, request));
  }

  @Get(':id')
  @Doc(
    'Get a request (the JSON export)',
    'Everything needed to register the client by hand (`document`: named fields and the RFC 7591 JSON), the diff of ' +
      'an app change (`changes`), its age and answer.',
  )
  @ApiAnswer(200, 'The request.', SiteRequestSchema)
  async get(@CurrentSite() site: HealthSystemActor, @UuidParam('id', 'registration request') id: string) {
    return toSiteRequestResponse(this.config, await this.requests.get({ healthSystemId: site.healthSystemId }, id));
  }

  @Get(':id/printable')
  @Doc('Get a request as a printable page', 'The same content as the JSON export, as a self-contained HTML page.')
  @ApiProduces('text/html')
  @ApiResponse({ status: 200, description: 'An HTML page.', content: { 'text/html': { schema: { type: 'string' } } } })
  async printable(
    @CurrentSite() site: HealthSystemActor,
    @UuidParam('id', 'registration request') id: string,
    @Res() response: Response,
  ): Promise<void> {
    const request = await this.requests.get({ healthSystemId: site.healthSystemId }, id);
    response.setHeader('Content-Security-Policy', PRINTABLE_CSP);
    response.type('text/html; charset=utf-8').send(printableRequest(request));
  }

  @Post(':id/complete')
  @HttpCode(200)
  @Doc(
    'Answer a request: enter the client, or confirm the change or removal',
    '`register`: the `clientId` your EHR issued, and the `clientSecret` where the app authenticates with a secret ' +
      '(`document.client.needsClientSecret`); `rotation`: the new `clientSecret`; `update`: nothing, or a new client; ' +
      '`removal`: nothing. Entered credentials are proven with a real client_credentials token request where the app ' +
      'has that grant (422 `client_not_proven` when the site refuses them: nothing is stored), then kept in the secret ' +
      'store. The secret is never shown back.',
  )
  @ApiZodBody(completeRequestSchema, 'RegistrationRequestAnswer', {
    register: {
      summary: 'The client your EHR issued',
      value: {
        clientId: 'ehr-issued-client-id',
        clientSecret: 'ehr-issued-secret',
        clientSecretExpiresAt: '2027-06-01T00:00:00Z',
      },
    },
  })
  @ApiAnswer(200, 'The answered request.', SiteRequestSchema)
  @ApiProblems(409, 422)
  async complete(
    @CurrentSite() site: HealthSystemActor,
    @UuidParam('id', 'registration request') id: string,
    @Body() body: unknown,
  ) {
    return toSiteRequestResponse(this.config, await this.answers.complete(site, id, body ?? {}));
  }

  @Post(':id/decline')
  @HttpCode(200)
  @Doc(
    'Decline a request, with a reason',
    'The app vendor sees the reason; a declined `register` request leaves the registration `failed` (`declined_by_site`).',
  )
  @ApiZodBody(declineRequestSchema, 'RegistrationRequestDecline', {
    decline: {
      summary: 'A reason the vendor sees',
      value: { reason: 'Our governance board does not approve this app.' },
    },
  })
  @ApiAnswer(200, 'The declined request.', SiteRequestSchema)
  @ApiProblems(409)
  async decline(
    @CurrentSite() site: HealthSystemActor,
    @UuidParam('id', 'registration request') id: string,
    @Body() body: unknown,
  ) {
    return toSiteRequestResponse(this.config, await this.answers.decline(site, id, body));
  }
}
