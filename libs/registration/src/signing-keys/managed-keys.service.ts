import { Inject, Injectable, Logger } from '@nestjs/common';
import { BROKER_CONFIG, type BrokerConfig } from '#config';
import {
  SECRET_STORE,
  type App,
  type SecretStore,
  type SecretValue,
  type SystemActor,
  type TenantActor,
} from '#domain';
import { AppRepository, AppSigningKeyRepository, AuditRepository, type AppSigningKey } from '#persistence';
import { generateSigningKey, secretNames, toJwks, type PublicSigningJwk } from '#secrets';
import type { TenantId } from '#domain';

const SWEEP: SystemActor = { type: 'system', component: 'signing-key-rotation' };

/**
 * Keys the broker manages for `private_key_jwt` apps (keyManagement: managed): it generates
 * them, keeps the private JWK in the secret store, and publishes the public keys at a stable
 * URL that every registration of the app uses as its `jwks_uri`. Rotation needs no call to
 * any site: the new key is published first, signs once sites' JWKS caches have seen it, and
 * the old key stays published until no assertion signed with it can be in flight.
 */
@Injectable()
export class ManagedKeysService {
  private readonly logger = new Logger(ManagedKeysService.name);

  constructor(
    private readonly keys: AppSigningKeyRepository,
    private readonly apps: AppRepository,
    private readonly audit: AuditRepository,
    @Inject(SECRET_STORE) private readonly secrets: SecretStore,
    @Inject(BROKER_CONFIG) private readonly config: BrokerConfig,
  ) {}

  /** Gives a managed app its first key, signing at once, unless it has one. Idempotent. */
  async ensureActiveKey(app: App): Promise<void> {
    if (app.keyManagement !== 'managed' || (await this.keys.newest(app.tenantId, app.id))) return;
    await this.addKey(app, new Date());
  }

  /** Starts a rotation: the new key is published now and signs after the publish delay. */
  async rotate(actor: TenantActor | SystemActor, app: App): Promise<AppSigningKey> {
    const activatedAt = new Date(Date.now() + this.config.signingKeys.publishSeconds * 1000);
    const key = await this.addKey(app, activatedAt);
    await this.audit.record({
      actor,
      tenantId: app.tenantId,
      appId: app.id,
      action: 'app.signing_key_rotated',
      outcome: 'success',
      details: { kid: key.kid, alg: key.alg, activatedAt: activatedAt.toISOString() },
    });
    return key;
  }

  /** Rotates every managed app whose newest key is older than the rotation period (the rotation sweep). */
  async rotateDue(now = new Date()): Promise<{ rotated: number }> {
    const before = new Date(now.getTime() - this.config.signingKeys.rotationDays * 86_400_000);
    const due = await this.keys.appsWithKeysOlderThan(before);
    for (const { tenantId, appId } of due) {
      await this.rotate(SWEEP, await this.apps.findById(tenantId, appId));
    }
    if (due.length) this.logger.log({ count: due.length }, 'rotated managed signing keys');
    return { rotated: due.length };
  }

  /** The public JWKS (served unauthenticated). An app without managed keys has an empty set. */
  async jwks(appId: string): Promise<{ keys: PublicSigningJwk[] }> {
    const published = await this.keys.published(appId);
    return toJwks(published.map((key) => key.publicJwk as unknown as PublicSigningJwk));
  }

  /** The key that signs now, with its private JWK, for the audited credential read of the tenant's own app. */
  async activePrivateKey(
    tenantId: TenantId,
    appId: string,
  ): Promise<{ kid: string; alg: string; privateJwk: SecretValue } | null> {
    const key = await this.keys.active(tenantId, appId);
    if (!key) return null;
    const stored = await this.secrets.get(key.privateKey.name, { versionId: key.privateKey.versionId });
    return stored ? { kid: key.kid, alg: key.alg, privateJwk: stored.value } : null;
  }

  private async addKey(app: App, activatedAt: Date): Promise<AppSigningKey> {
    const generated = await generateSigningKey(app.signingAlg ?? 'ES384');
    const privateKey = await this.secrets.put(
      secretNames.appSigningKey(app.tenantId, app.id, generated.kid),
      generated.privateJwk,
      {
        requestToken: `key-${generated.kid}`.slice(0, 64),
        tags: { 'broker:tenant': app.tenantId, 'broker:app': app.id },
      },
    );
    return this.keys.add({
      tenantId: app.tenantId,
      appId: app.id,
      kid: generated.kid,
      alg: generated.alg,
      publicJwk: generated.publicJwk,
      privateKey,
      activatedAt,
      retireOthersAfter: new Date(activatedAt.getTime() + this.config.signingKeys.retentionSeconds * 1000),
    });
  }
}
