import { Inject, Injectable } from '@nestjs/common';
import { SECRET_STORE, type App, type SecretStore, type SecretValue } from '#domain';
import { AppSigningKeyRepository } from '#persistence';
import { generateSigningKey, secretNames, toJwks, type PublicSigningJwk } from '#secrets';

/**
 * Keys the broker manages for `private_key_jwt` apps (keyManagement: managed): it generates
 * them, keeps the private JWK in the secret store, and publishes the public keys at a stable
 * URL that every registration of the app uses as its `jwks_uri`.
 */
@Injectable()
export class ManagedKeysService {
  constructor(
    private readonly keys: AppSigningKeyRepository,
    @Inject(SECRET_STORE) private readonly secrets: SecretStore,
  ) {}

  /** Gives a managed app its first key, unless it has an active one. Idempotent. */
  async ensureActiveKey(app: App): Promise<void> {
    if (app.keyManagement !== 'managed' || (await this.keys.active(app.tenantId, app.id))) return;
    const generated = await generateSigningKey(app.signingAlg ?? 'ES384');
    const privateKey = await this.secrets.put(
      secretNames.appSigningKey(app.tenantId, app.id, generated.kid),
      generated.privateJwk,
      {
        requestToken: `key-${generated.kid}`.slice(0, 64),
        tags: { 'broker:tenant': app.tenantId, 'broker:app': app.id },
      },
    );
    await this.keys.create({
      tenantId: app.tenantId,
      appId: app.id,
      kid: generated.kid,
      alg: generated.alg,
      publicJwk: generated.publicJwk,
      privateKey,
      status: 'active',
    });
  }

  /** The public JWKS (served unauthenticated). An app without managed keys has an empty set. */
  async jwks(appId: string): Promise<{ keys: PublicSigningJwk[] }> {
    const published = await this.keys.published(appId);
    return toJwks(published.map((key) => key.publicJwk as unknown as PublicSigningJwk));
  }

  /** The active private key, for the audited credential read of the tenant's own app. */
  async activePrivateKey(
    tenantId: string,
    appId: string,
  ): Promise<{ kid: string; alg: string; privateJwk: SecretValue } | null> {
    const key = await this.keys.active(tenantId, appId);
    if (!key) return null;
    const stored = await this.secrets.get(key.privateKey.name, { versionId: key.privateKey.versionId });
    return stored ? { kid: key.kid, alg: key.alg, privateJwk: stored.value } : null;
  }
}
