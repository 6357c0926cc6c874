export * from './errors.js';
export * from './secret-value.js';
export * from './validation.js';
export * from './client-metadata.js';
export * from './registration-state.js';
export * from './ports/secret-store.js';
export * from './entities.js';
export * from './http-url.js';
