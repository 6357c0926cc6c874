export * from './redis.js';
export * from './names.js';
export * from './retry-policy.js';
export * from './queue.module.js';
export * from './registration-jobs.js';
export * from './lifecycle-jobs.js';
export * from './site-concurrency.js';
export * from './job-attempt.js';
