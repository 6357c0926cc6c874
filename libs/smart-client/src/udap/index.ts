export * from './x509.js';
export * from './x5c-jwt.js';
export * from './udap-discovery.js';
export * from './udap-registration.js';
export * from './udap-token.js';
