import type { Adapter, AdapterPayload } from 'oidc-provider';

export interface Entry {
  payload: AdapterPayload;
  /** Epoch milliseconds; undefined = kept until destroyed. */
  expiresAt?: number;
}

/**
 * What survives a restart of the sandbox (with a state file): the clients and the registration
 * access tokens that manage them. Access tokens and grants are short-lived and not kept.
 */
export const KEPT_MODELS = ['Client', 'RegistrationAccessToken'] as const;

export type SiteStoreSnapshot = Partial<Record<(typeof KEPT_MODELS)[number], Record<string, Entry>>>;

/** Expired entries are swept every this many writes, so short-lived tokens don't pile up in long benchmarks. */
const SWEEP_EVERY_WRITES = 1_000;

/**
 * One site's storage for every oidc-provider model (clients, registration access tokens,
 * access tokens...). Each site has its own store, so sites never see each other's clients, and the
 * operator endpoints can list, edit and delete a site's clients directly.
 */
export class SiteStore {
  readonly #models = new Map<string, Map<string, Entry>>();
  #writes = 0;
  /** Told of every change to a kept model (see `KEPT_MODELS`), e.g. to save the sandbox's state. */
  onChange?: () => void;

  /** The kept models' live entries, for the sandbox's state file. */
  snapshot(): SiteStoreSnapshot {
    return Object.fromEntries(
      KEPT_MODELS.map((name) => [name, Object.fromEntries(this.#live(this.#model(name)))]),
    ) as SiteStoreSnapshot;
  }

  /** Puts back what `snapshot` returned (entries already expired are left out). */
  restore(snapshot: SiteStoreSnapshot): void {
    for (const name of KEPT_MODELS) {
      const model = this.#model(name);
      for (const [id, entry] of Object.entries(snapshot[name] ?? {})) if (!isExpired(entry)) model.set(id, entry);
    }
  }

  /** @internal the adapters report changes here */
  changed(modelName: string): void {
    if ((KEPT_MODELS as readonly string[]).includes(modelName)) this.onChange?.();
  }

  /** The oidc-provider `adapter` factory bound to this store. */
  readonly adapterFactory = (modelName: string): Adapter =>
    new SiteStoreAdapter(this.#model(modelName), this, modelName);

  clientIds(): string[] {
    return [...this.#live(this.#model('Client')).keys()];
  }

  clientCount(): number {
    return this.clientIds().length;
  }

  client(clientId: string): AdapterPayload | undefined {
    return readLive(this.#model('Client'), clientId);
  }

  /** Replaces a client's stored metadata as if the EHR's admin had edited it. */
  replaceClient(clientId: string, metadata: AdapterPayload): void {
    this.#model('Client').set(clientId, { payload: metadata });
    this.changed('Client');
  }

  /** Removes a client and the registration access tokens that were issued for it. */
  deleteClient(clientId: string): boolean {
    const existed = this.#model('Client').delete(clientId);
    const tokens = this.#model('RegistrationAccessToken');
    for (const [id, entry] of tokens) {
      if (entry.payload.clientId === clientId) tokens.delete(id);
    }
    this.changed('Client');
    return existed;
  }

  /** Called by the adapters on every write. */
  noteWrite(): void {
    this.#writes += 1;
    if (this.#writes % SWEEP_EVERY_WRITES === 0) {
      for (const model of this.#models.values()) this.#live(model);
    }
  }

  #model(name: string): Map<string, Entry> {
    let model = this.#models.get(name);
    if (!model) {
      model = new Map();
      this.#models.set(name, model);
    }
    return model;
  }

  /** Drops expired entries and returns the model. */
  #live(model: Map<string, Entry>): Map<string, Entry> {
    for (const [id, entry] of model) {
      if (isExpired(entry)) model.delete(id);
    }
    return model;
  }
}

function isExpired(entry: Entry): boolean {
  return entry.expiresAt !== undefined && entry.expiresAt <= Date.now();
}

function readLive(model: Map<string, Entry>, id: string): AdapterPayload | undefined {
  const entry = model.get(id);
  if (entry && isExpired(entry)) {
    model.delete(id);
    return undefined;
  }
  return entry?.payload;
}

/** oidc-provider's adapter contract for one model of one site (see oidc-provider's lib/adapters). */
class SiteStoreAdapter implements Adapter {
  constructor(
    private readonly entries: Map<string, Entry>,
    private readonly store: SiteStore,
    private readonly modelName: string,
  ) {}

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    this.entries.set(id, { payload, expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : undefined });
    this.store.noteWrite();
    this.store.changed(this.modelName);
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    return readLive(this.entries, id);
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    return this.#findBy('userCode', userCode);
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    return this.#findBy('uid', uid);
  }

  async consume(id: string): Promise<void> {
    const entry = this.entries.get(id);
    if (entry) entry.payload = { ...entry.payload, consumed: Math.floor(Date.now() / 1000) };
  }

  async destroy(id: string): Promise<void> {
    this.entries.delete(id);
    this.store.changed(this.modelName);
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    for (const [id, entry] of this.entries) {
      if (entry.payload.grantId === grantId) this.entries.delete(id);
    }
  }

  async #findBy(field: string, value: string): Promise<AdapterPayload | undefined> {
    for (const [id, entry] of this.entries) {
      if (entry.payload[field] === value) return this.find(id);
    }
    return undefined;
  }
}
