export * from './core.module.js';
export * from './tenancy/tenancy.service.js';
export * from './tenancy/api-key-authenticator.js';
export * from './apps/apps.service.js';
export * from './apps/app-input.js';
export * from './directory/health-systems.service.js';
export * from './directory/health-system-input.js';
