export * from './registration-path.js';
export * from './request-document.js';
export * from './manual-registration.js';
export * from './site-answers.service.js';
export * from './registration-requests.service.js';
export * from './printable-request.js';

import { ManualRegistration } from './manual-registration.js';
import { RegistrationRequestsService } from './registration-requests.service.js';
import { SiteAnswers } from './site-answers.service.js';

/** Providers of the manual registration workflow, for CoreModule. */
export const manualProviders = [ManualRegistration, SiteAnswers, RegistrationRequestsService];
