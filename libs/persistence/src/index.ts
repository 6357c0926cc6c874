export * from './prisma.service.js';
export { Prisma, type PrismaClient } from './generated/client.js';
