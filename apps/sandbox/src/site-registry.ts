import { z } from 'zod';
import { HttpError } from './http-io.js';
import type { SharedProviderKeys } from './oidc-site.js';
import { SITE_PROFILES, siteNameSchema, siteOptionsSchema, type SiteOptions } from './site-profiles.js';
import { Site } from './site.js';
import type { SandboxStateFile } from './sandbox-state-file.js';

export const bulkSitesSchema = z.strictObject({
  count: z.number().int().min(1).max(10_000),
  profile: z.enum(SITE_PROFILES).default('open'),
  prefix: siteNameSchema.default('site'),
});

export type BulkSitesRequest = z.input<typeof bulkSitesSchema>;

/** The sandbox's sites by name. Names are unique; adding a taken name is a conflict. */
export class SiteRegistry {
  readonly #sites = new Map<string, Site>();

  constructor(
    private readonly origin: string,
    private readonly keys: SharedProviderKeys,
    private readonly onServerError: (site: string, error: Error) => void,
    /** Keeps the sites' clients across restarts when the sandbox has a state file. */
    private readonly stateFile?: SandboxStateFile,
  ) {}

  get(name: string): Site | undefined {
    return this.#sites.get(name);
  }

  all(): Site[] {
    return [...this.#sites.values()];
  }

  /** Validates the options (400 `HttpError` when wrong, 409 when the name is taken) and adds the site. */
  add(input: unknown): Site {
    const options = parse(siteOptionsSchema, input);
    if (this.#sites.has(options.name)) {
      throw new HttpError(409, 'site_exists', `a site named ${options.name} exists already`);
    }
    return this.#create(options);
  }

  /** Adds `{prefix}-1` ... `{prefix}-{count}`, all or none (409 when one of the names is taken). */
  addBulk(input: unknown): Site[] {
    const { count, profile, prefix } = parse(bulkSitesSchema, input);
    const names = Array.from({ length: count }, (_, index) => `${prefix}-${index + 1}`);
    const taken = names.find((name) => this.#sites.has(name));
    if (taken) throw new HttpError(409, 'site_exists', `a site named ${taken} exists already`);
    return names.map((name) => this.#create(parse(siteOptionsSchema, { name, profile })));
  }

  #create(options: SiteOptions): Site {
    const site = new Site(
      this.stateFile?.withSavedToken(options) ?? options,
      this.origin,
      this.keys,
      this.onServerError,
    );
    this.#sites.set(site.name, site);
    this.stateFile?.adopt(site);
    return site;
  }
}

function parse<T>(schema: z.ZodType<T>, input: unknown): T {
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`);
    throw new HttpError(400, 'invalid_request', problems.join('; '));
  }
  return parsed.data;
}
