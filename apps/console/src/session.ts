/**
 * Who is signed in. Kept in sessionStorage (this tab only, gone when it closes): never in
 * localStorage, a cookie or the URL. The token goes to the API as `Authorization: Bearer`.
 */
export type PrincipalKind = 'tenant' | 'operator' | 'health-system';

export interface Session {
  kind: PrincipalKind;
  token: string;
}

const KEY = 'broker-console-session';

export function loadSession(): Session | null {
  try {
    const value = JSON.parse(sessionStorage.getItem(KEY) ?? 'null') as Session | null;
    return value && typeof value.token === 'string' && typeof value.kind === 'string' ? value : null;
  } catch {
    return null;
  }
}

export function saveSession(session: Session | null): void {
  if (session) sessionStorage.setItem(KEY, JSON.stringify(session));
  else sessionStorage.removeItem(KEY);
}

/** A guess from the token's shape (`srb_` tenant keys, `srbh_` health-system keys); the person can change it. */
export function guessKind(token: string): PrincipalKind {
  if (token.startsWith('srbh_')) return 'health-system';
  if (token.startsWith('srb_')) return 'tenant';
  return 'operator';
}

export const KIND_LABELS: Record<PrincipalKind, string> = {
  tenant: 'Tenant API key',
  operator: 'Operator token',
  'health-system': 'Health-system administrator key',
};
