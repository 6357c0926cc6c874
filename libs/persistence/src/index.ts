export * from './prisma.service.js';
export * from './pagination.js';
export * from './tenant.repository.js';
export * from './api-key.repository.js';
export * from './app.repository.js';
export * from './health-system.repository.js';
export * from './audit.repository.js';
export { Prisma, type PrismaClient } from './generated/client.js';
