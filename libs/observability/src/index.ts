export * from './logger.js';
export * from './metrics.js';
export * from './url-redaction.js';
export * from './tracing.js';
