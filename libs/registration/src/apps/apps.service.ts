import { Injectable } from '@nestjs/common';
import {
  type App,
  DomainError,
  ErrorCode,
  type Page,
  type PageRequest,
  parseOrThrow,
  type TenantActor,
  type TenantId,
} from '#domain';
import { AppRepository, AuditRepository, type AppSigningKey } from '#persistence';
import { appInputSchema } from './app-input.js';
import { LifecycleRequests } from '../lifecycle/lifecycle-requests.service.js';
import { ManagedKeysService } from '../signing-keys/managed-keys.service.js';

/** Tenant use cases on apps. Every method is scoped by the caller's tenant. */
@Injectable()
export class AppsService {
  constructor(
    private readonly apps: AppRepository,
    private readonly audit: AuditRepository,
    private readonly lifecycle: LifecycleRequests,
    private readonly managedKeys: ManagedKeysService,
  ) {}

  async create(actor: TenantActor, input: unknown): Promise<App> {
    const data = parseOrThrow(appInputSchema, input, 'app');
    const app = await this.apps.create(actor.tenantId, data);
    await this.managedKeys.ensureActiveKey(app);
    await this.audit.record({
      actor,
      tenantId: actor.tenantId,
      appId: app.id,
      action: 'app.created',
      outcome: 'success',
    });
    return app;
  }

  list(tenantId: TenantId, page: PageRequest): Promise<Page<App>> {
    return this.apps.list(tenantId, page);
  }

  get(tenantId: TenantId, id: string): Promise<App> {
    return this.apps.findById(tenantId, id);
  }

  async replace(actor: TenantActor, id: string, input: unknown): Promise<App> {
    const data = parseOrThrow(appInputSchema, input, 'app');
    const app = await this.apps.replace(actor.tenantId, id, data);
    await this.managedKeys.ensureActiveKey(app);
    await this.audit.record({
      actor,
      tenantId: actor.tenantId,
      appId: id,
      action: 'app.replaced',
      outcome: 'success',
      details: { metadataVersion: app.metadataVersion },
    });
    // Every registration follows in the background; progress: each registration's
    // metadataVersion against the app's (GET /v1/registrations?appId=...).
    await this.lifecycle.appReplaced(app);
    return app;
  }

  /** Starts a rotation of a managed app's signing key (published now, signing after the publish delay). */
  async rotateKeys(actor: TenantActor, id: string): Promise<AppSigningKey> {
    const app = await this.apps.findById(actor.tenantId, id);
    if (app.keyManagement !== 'managed') {
      throw new DomainError(ErrorCode.Conflict, `app ${id} does not use broker-managed keys`);
    }
    return this.managedKeys.rotate(actor, app);
  }

  /** Returns how many registrations are being deleted at their sites (the work goes on in the background). */
  async delete(actor: TenantActor, id: string): Promise<{ enqueued: number }> {
    await this.apps.softDelete(actor.tenantId, id);
    await this.audit.record({ actor, tenantId: actor.tenantId, appId: id, action: 'app.deleted', outcome: 'success' });
    // Offboarding: every client of the app is deleted at its site; the rows stay as tombstones.
    return this.lifecycle.offboardApp(actor.tenantId, id);
  }
}
