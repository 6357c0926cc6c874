import type { HealthSystem, RegistrationMode } from '#domain';

/** How clients get registered at a site: by the broker (RFC 7591) or by the site's administrators. */
export type RegistrationPath = 'dynamic' | 'manual';

/**
 * The one rule: the operator's `dynamic` / `manual` wins; `automatic` follows discovery (a site
 * that advertises no RFC 7591 registration endpoint is manual). `null`: not discovered yet.
 */
export function registrationPathOf(
  mode: RegistrationMode,
  registrationSupported: boolean | undefined,
): RegistrationPath | null {
  if (mode !== 'automatic') return mode;
  if (registrationSupported === undefined) return null;
  return registrationSupported ? 'dynamic' : 'manual';
}

/** The path from the site's stored discovery (the operator's view of the directory). */
export function registrationPathOfSite(healthSystem: HealthSystem): RegistrationPath | null {
  const discovered = healthSystem.discovery as { registrationSupported?: boolean } | null;
  return registrationPathOf(healthSystem.registrationMode, discovered?.registrationSupported);
}
