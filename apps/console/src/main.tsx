import { render, type ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { authenticate } from './api/client';
import { AuditPage } from './pages/operator/audit';
import { HealthSystemsPage } from './pages/operator/health-systems';
import { OrphansPage } from './pages/operator/orphans';
import { TenantPage, TenantsPage } from './pages/operator/tenants';
import { HealthSystemPage } from './pages/operator/health-system';
import { SignIn } from './pages/sign-in';
import { SiteRegistrationsPage, SiteWebhooksPage } from './pages/site/site';
import { AppPage } from './pages/tenant/app';
import { AppsPage } from './pages/tenant/apps';
import { OnboardingPage } from './pages/tenant/onboarding';
import { RegistrationPage } from './pages/tenant/registration';
import { RegistrationsPage } from './pages/tenant/registrations';
import { href, navigate, useRoute, type Route } from './router';
import { KIND_LABELS, loadSession, saveSession, type PrincipalKind, type Session } from './session';

const NAVIGATION: Record<PrincipalKind, Array<[path: string, label: string]>> = {
  tenant: [
    ['/apps', 'Apps'],
    ['/registrations', 'Registrations'],
    ['/audit', 'Audit log'],
  ],
  operator: [
    ['/admin/health-systems', 'Health systems'],
    ['/admin/tenants', 'Tenants'],
    ['/admin/audit', 'Audit log'],
    ['/admin/orphans', 'Possible orphans'],
  ],
  'health-system': [
    ['/site/registrations', 'Registrations'],
    ['/site/webhooks', 'Webhooks'],
  ],
};

/** The page for a route, for this kind of principal; null for a route it has no view for. */
function page(kind: PrincipalKind, route: Route): ComponentChildren {
  const [first, second, third] = route.segments;
  if (kind === 'tenant') {
    if (first === 'apps' && second) return <AppPage appId={second} />;
    if (first === 'apps') return <AppsPage />;
    if (first === 'onboardings' && second) return <OnboardingPage onboardingId={second} />;
    if (first === 'registrations' && second) return <RegistrationPage registrationId={second} />;
    if (first === 'registrations') return <RegistrationsPage route={route} />;
    if (first === 'audit') return <AuditPage operator={false} />;
  }
  if (kind === 'operator' && first === 'admin') {
    if (second === 'health-systems' && third) return <HealthSystemPage healthSystemId={third} />;
    if (second === 'health-systems') return <HealthSystemsPage />;
    if (second === 'tenants' && third) return <TenantPage tenantId={third} />;
    if (second === 'tenants') return <TenantsPage />;
    if (second === 'audit') return <AuditPage operator />;
    if (second === 'orphans') return <OrphansPage />;
  }
  if (kind === 'health-system' && first === 'site') {
    if (second === 'registrations') return <SiteRegistrationsPage />;
    if (second === 'webhooks') return <SiteWebhooksPage />;
  }
  return null;
}

function Console() {
  const [session, setSession] = useState<Session | null>(() => {
    const saved = loadSession();
    authenticate(saved?.token ?? null, () => signOut());
    return saved;
  });
  const route = useRoute();
  const signIn = (next: Session) => {
    saveSession(next);
    authenticate(next.token, () => signOut());
    setSession(next);
    navigate(NAVIGATION[next.kind][0]![0]);
  };
  const signOut = () => {
    saveSession(null);
    authenticate(null);
    setSession(null);
  };
  if (!session) return <SignIn onSignedIn={signIn} />;

  const links = NAVIGATION[session.kind];
  const content = page(session.kind, route);
  if (content === null && route.path !== links[0]![0]) {
    // A route another kind of principal uses (or none): open this one's first view.
    queueMicrotask(() => navigate(links[0]![0]));
  }
  return (
    <>
      {/* Not a "#main" link: the hash is the route. */}
      <button type="button" class="skip" onClick={() => document.getElementById('main')?.focus()}>
        Skip to content
      </button>
      <header>
        <span class="brand">SMART Registration Broker</span>
        <nav aria-label="Main">
          <ul>
            {links.map(([path, label]) => (
              <li key={path}>
                <a href={href(path)} aria-current={route.path.startsWith(path) ? 'page' : undefined}>
                  {label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <span class="who">{KIND_LABELS[session.kind]}</span>
        <button type="button" class="secondary" onClick={signOut}>
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1} key={route.path}>
        {content}
      </main>
    </>
  );
}

render(<Console />, document.getElementById('root')!);
