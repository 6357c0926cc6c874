export * from './config.js';
export * from './sandbox-config.js';
