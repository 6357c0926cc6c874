import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import {
  DomainError,
  ErrorCode,
  SECRET_STORE,
  ValidationError,
  parseOrThrow,
  type Page,
  type PageRequest,
  type Actor,
  type SecretStore,
  type SecretValue,
} from '#domain';
import {
  AuditRepository,
  HealthSystemRepository,
  PrismaService,
  WebhookDeliveryRepository,
  WebhookEndpointRepository,
  WebhookEventRepository,
  type WebhookDeliveryRecord,
  type WebhookEndpointRecord,
  type WebhookEventRecord,
} from '#persistence';
import { secretNames } from '#secrets';
import { OutboundNetworkError, type SafeHttpClient } from '#smart-client';
import { WebhookDeliveryJobs } from './delivery-jobs.js';
import {
  createWebhookEndpointSchema,
  rotateWebhookSecretSchema,
  updateWebhookEndpointSchema,
} from './endpoint-input.js';
import { generateSigningSecret } from './signing.js';
import { WEBHOOK_HTTP } from './webhook-http.js';
import { WebhookOutbox } from './webhook-outbox.js';

/** The operator, unless a health system's administrator acts on its own endpoints. */
const OPERATOR: Actor = { type: 'operator' };

/** An endpoint with its signing secret, returned once when the secret is created or rotated. */
export interface WebhookEndpointWithSecret {
  endpoint: WebhookEndpointRecord;
  signingSecret: SecretValue;
}

/** The operator's webhook endpoints of one health system, their secrets, tests and replays. */
@Injectable()
export class WebhookEndpointsService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly healthSystems: HealthSystemRepository,
    private readonly endpoints: WebhookEndpointRepository,
    private readonly events: WebhookEventRepository,
    private readonly deliveries: WebhookDeliveryRepository,
    private readonly outbox: WebhookOutbox,
    private readonly jobs: WebhookDeliveryJobs,
    private readonly audit: AuditRepository,
    @Inject(SECRET_STORE) private readonly secrets: SecretStore,
    @Inject(WEBHOOK_HTTP) private readonly http: SafeHttpClient,
  ) {}

  async create(healthSystemId: string, input: unknown, actor: Actor = OPERATOR): Promise<WebhookEndpointWithSecret> {
    const data = parseOrThrow(createWebhookEndpointSchema, input, 'webhook endpoint');
    await this.healthSystems.findById(healthSystemId);
    await this.assertDestinationAllowed(data.url);
    const id = randomUUID();
    const name = secretNames.webhookSigningSecret(healthSystemId, id);
    const signingSecret = generateSigningSecret();
    const ref = await this.storeSecret(healthSystemId, name, signingSecret);
    let endpoint: WebhookEndpointRecord;
    try {
      endpoint = await this.endpoints.create({ ...data, id, healthSystemId, signingSecret: ref });
    } catch (error) {
      await this.secrets.delete(name);
      throw error;
    }
    await this.recordAudit('webhook_endpoint.created', healthSystemId, id, {}, actor);
    return { endpoint, signingSecret };
  }

  async list(healthSystemId: string, page: PageRequest): Promise<Page<WebhookEndpointRecord>> {
    await this.healthSystems.findById(healthSystemId);
    return this.endpoints.list(healthSystemId, page);
  }

  get(healthSystemId: string, id: string): Promise<WebhookEndpointRecord> {
    return this.endpoints.findById(healthSystemId, id);
  }

  async update(
    healthSystemId: string,
    id: string,
    input: unknown,
    actor: Actor = OPERATOR,
  ): Promise<WebhookEndpointRecord> {
    const changes = parseOrThrow(updateWebhookEndpointSchema, input, 'webhook endpoint');
    if (changes.url) await this.assertDestinationAllowed(changes.url);
    const endpoint = await this.endpoints.update(healthSystemId, id, changes);
    await this.recordAudit('webhook_endpoint.updated', healthSystemId, id, { fields: Object.keys(changes) }, actor);
    return endpoint;
  }

  async delete(healthSystemId: string, id: string, actor: Actor = OPERATOR): Promise<void> {
    const endpoint = await this.endpoints.softDelete(healthSystemId, id);
    await this.secrets.delete(endpoint.signingSecret.name);
    await this.recordAudit('webhook_endpoint.deleted', healthSystemId, id, {}, actor);
  }

  /**
   * A new signing secret, shown once. The replaced one keeps signing for `overlapSeconds`
   * (receivers verify either during the switch), then only the new one signs.
   */
  async rotateSecret(
    healthSystemId: string,
    id: string,
    input: unknown,
    actor: Actor = OPERATOR,
  ): Promise<WebhookEndpointWithSecret> {
    const { overlapSeconds } = parseOrThrow(rotateWebhookSecretSchema, input ?? {}, 'secret rotation');
    const current = await this.endpoints.findById(healthSystemId, id);
    const signingSecret = generateSigningSecret();
    // Until the row names the new version, deliveries keep signing with the old one: a crash
    // here leaves an unused version in the store, never an endpoint signing with a secret
    // nobody was shown.
    const ref = await this.storeSecret(healthSystemId, current.signingSecret.name, signingSecret);
    const endpoint = await this.endpoints.rotateSigningSecret(healthSystemId, id, {
      versionId: ref.versionId,
      previousVersionId: current.signingSecret.versionId,
      previousExpiresAt: new Date(Date.now() + overlapSeconds * 1000),
    });
    await this.recordAudit('webhook_endpoint.secret_rotated', healthSystemId, id, { overlapSeconds }, actor);
    return { endpoint, signingSecret };
  }

  /** Records a `ping` event for this endpoint only; the dispatcher delivers it like any event. */
  async ping(healthSystemId: string, id: string): Promise<{ eventId: string }> {
    const healthSystem = await this.healthSystems.findById(healthSystemId);
    const endpoint = await this.enabledEndpoint(healthSystemId, id);
    const { id: eventId } = await this.prisma.$transaction((tx) =>
      this.outbox.recordPing(tx, healthSystem, endpoint.id),
    );
    return { eventId };
  }

  /** Delivers a past event of this health system to the endpoint again, with its original id and body. */
  async replay(
    healthSystemId: string,
    id: string,
    eventId: string,
    actor: Actor = OPERATOR,
  ): Promise<{ eventId: string }> {
    const endpoint = await this.enabledEndpoint(healthSystemId, id);
    const event = await this.events.findById(healthSystemId, eventId);
    await this.jobs.enqueueReplay({ eventId: event.id, endpointId: endpoint.id, healthSystemId });
    await this.recordAudit('webhook_event.replayed', healthSystemId, id, { eventId }, actor);
    return { eventId: event.id };
  }

  async listDeliveries(
    healthSystemId: string,
    id: string,
    page: PageRequest,
    filter: { eventId?: string } = {},
  ): Promise<Page<WebhookDeliveryRecord>> {
    await this.endpoints.findById(healthSystemId, id);
    return this.deliveries.list(id, page, filter);
  }

  async listEvents(healthSystemId: string, page: PageRequest): Promise<Page<WebhookEventRecord>> {
    await this.healthSystems.findById(healthSystemId);
    return this.events.list(healthSystemId, page);
  }

  private async enabledEndpoint(healthSystemId: string, id: string): Promise<WebhookEndpointRecord> {
    const endpoint = await this.endpoints.findById(healthSystemId, id);
    if (!endpoint.enabled) {
      throw new DomainError(ErrorCode.Conflict, `webhook endpoint ${id} is disabled: enable it first`, {
        disabledReason: endpoint.disabledReason ?? undefined,
      });
    }
    return endpoint;
  }

  /**
   * Refuses at once a URL the delivery worker would refuse (its host resolved now); the worker
   * checks again when it connects, since DNS may change in between.
   */
  private async assertDestinationAllowed(url: string): Promise<void> {
    let verdict;
    try {
      verdict = await this.http.checkDestination(url);
    } catch (error) {
      if (!(error instanceof OutboundNetworkError)) throw error;
      throw new ValidationError('webhook endpoint is invalid', [
        { path: 'url', message: `host ${new URL(url).hostname} does not resolve (${error.code ?? 'DNS error'})` },
      ]);
    }
    if (verdict.allowed) return;
    if (verdict.rule === 'scheme') {
      throw new ValidationError('webhook endpoint is invalid', [
        { path: 'url', message: 'must use https (http only for hosts in OUTBOUND_ALLOWED_HOSTS)' },
      ]);
    }
    throw new DomainError(ErrorCode.OutboundBlocked, `webhook URL refused: ${verdict.detail}`, { rule: verdict.rule });
  }

  private storeSecret(healthSystemId: string, name: string, secret: SecretValue) {
    return this.secrets.put(name, secret, {
      requestToken: randomUUID(),
      tags: { 'broker:kind': 'webhook-signing-secret', 'broker:health-system': healthSystemId },
    });
  }

  private recordAudit(
    action: string,
    healthSystemId: string,
    endpointId: string,
    details: Record<string, unknown> = {},
    actor: Actor = OPERATOR,
  ) {
    return this.audit.record({
      actor,
      healthSystemId,
      action,
      outcome: 'success',
      details: { endpointId, ...details },
    });
  }
}
