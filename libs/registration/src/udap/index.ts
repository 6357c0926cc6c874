import { AppCertificatesService } from './app-certificates.service.js';
import { TrustCommunitiesService } from './trust-communities.service.js';
import { UdapRegistrationUseCase } from './udap-registration.use-case.js';
import { UdapTokenService } from './udap-token.service.js';
import { SoftwareStatementsService } from './software-statements.service.js';
import { AppCertificateRepository, TrustCommunityRepository, UdapSiteRepository } from '#persistence';

export * from './app-certificates.service.js';
export * from './trust-communities.service.js';
export * from './udap-registration.use-case.js';
export * from './udap-token.service.js';
export * from './udap-input.js';
export * from './software-statements.service.js';

/** The UDAP services and use case: provided and exported by CoreModule. */
export const udapServices = [
  TrustCommunitiesService,
  AppCertificatesService,
  UdapRegistrationUseCase,
  UdapTokenService,
  SoftwareStatementsService,
];

/** Everything UDAP CoreModule provides: the services and their repositories (which stay inside). */
export const udapProviders = [TrustCommunityRepository, AppCertificateRepository, UdapSiteRepository, ...udapServices];
