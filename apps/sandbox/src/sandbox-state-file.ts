import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { SiteStoreSnapshot } from './memory-adapter.js';
import type { Site } from './site.js';
import type { SiteOptions } from './site-profiles.js';

interface SavedSite {
  initialAccessToken?: string;
  store: SiteStoreSnapshot;
}

interface SavedState {
  version: 1;
  sites: Record<string, SavedSite>;
}

/** Changes are written at most this often (a registration burst writes the file once). */
const SAVE_DELAY_MS = 200;

/**
 * The sandbox's memory across restarts (`SANDBOX_STATE_FILE`; `npm start` uses
 * `.cache/sandbox-state.json`): per site name, its clients, their registration access tokens
 * and the site's initial access token. A broker that registered at the sandbox keeps working
 * after the sandbox restarts, instead of holding credentials for clients that no longer exist.
 * Development data only (the file holds client secrets in clear; it is written with mode 600).
 */
export class SandboxStateFile {
  readonly #path: string;
  readonly #state: SavedState;
  readonly #sites = new Map<string, Site>();
  #timer?: NodeJS.Timeout;

  constructor(path: string) {
    this.#path = path;
    this.#state = existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as SavedState) : { version: 1, sites: {} };
  }

  /** The options with the site's saved initial access token, so the broker's stored one still works. */
  withSavedToken(options: SiteOptions): SiteOptions {
    const saved = this.#state.sites[options.name]?.initialAccessToken;
    return saved && !options.initialAccessToken ? { ...options, initialAccessToken: saved } : options;
  }

  /** Restores a new site's saved clients and keeps its changes from now on. */
  adopt(site: Site): void {
    const saved = this.#state.sites[site.name];
    if (saved) site.store.restore(saved.store);
    this.#sites.set(site.name, site);
    site.store.onChange = () => this.#scheduleSave();
    this.#scheduleSave();
  }

  /** Writes pending changes now (on shutdown). */
  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const [name, site] of this.#sites) {
      this.#state.sites[name] = {
        ...(site.behaviour.initialAccessToken && { initialAccessToken: site.behaviour.initialAccessToken }),
        store: site.store.snapshot(),
      };
    }
    mkdirSync(dirname(this.#path), { recursive: true });
    // Whole file or nothing: a crash mid-write leaves the previous state.
    const temporary = `${this.#path}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify(this.#state), { mode: 0o600 });
    renameSync(temporary, this.#path);
  }

  #scheduleSave(): void {
    this.#timer ??= setTimeout(() => this.flush(), SAVE_DELAY_MS);
    this.#timer.unref();
  }
}
