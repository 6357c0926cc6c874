import { UnrecoverableError, type Job } from 'bullmq';
import type { PinoLogger } from 'nestjs-pino';
import { DomainError, ErrorCode, NotFoundError } from '#domain';
import { RetryLaterError } from '#queue';
import { runJob, type JobHandler } from './job-runner.js';

type Data = { registrationId: string; healthSystemId?: string };

const job = {
  name: 'register',
  id: '1',
  data: { registrationId: 'r-1' },
  opts: { attempts: 8 },
  attemptsMade: 0,
  timestamp: Date.now(),
} as unknown as Job<Data>;
const warnings: string[] = [];
const logger = {
  runInContext: (work: () => Promise<unknown>) => work(),
  info: () => undefined,
  debug: () => undefined,
  warn: (_fields: unknown, message: string) => void warnings.push(message),
} as unknown as PinoLogger;

const failingWith = (error: Error) =>
  runJob<Data>('registration', job, 'token', {
    handlers: {
      register: (async () => {
        throw error;
      }) as JobHandler<Data>,
    },
    logger,
  });

describe('runJob', () => {
  it('fails a job whose subject no longer exists at once, without retries', async () => {
    const run = failingWith(new NotFoundError('health system', 'hs-1'));
    await expect(run).rejects.toBeInstanceOf(UnrecoverableError);
    await expect(run).rejects.toThrow('health system hs-1 was not found');
    expect(warnings).toContain('job failed for good: retrying cannot help');
  });

  it('fails at once on any error that says it is not retryable, and retries one that says it is', async () => {
    const final = new DomainError(ErrorCode.Internal, 'secret x version 1 failed authenticated decryption');
    await expect(failingWith(final)).rejects.toBeInstanceOf(UnrecoverableError);
    const storeDown = new DomainError(ErrorCode.SecretStoreUnavailable, 'aws secret store failed', { retryable: true });
    await expect(failingWith(storeDown)).rejects.toBe(storeDown);
  });

  it('lets the queue retry transient errors and scheduled retries', async () => {
    const transient = new Error('connection reset');
    await expect(failingWith(transient)).rejects.toBe(transient);
    const later = new RetryLaterError(1000, 'temporarily_unavailable');
    await expect(failingWith(later)).rejects.toBe(later);
  });

  it('fails a job without a handler for its name without retries', async () => {
    await expect(runJob<Data>('registration', job, 'token', { handlers: {}, logger })).rejects.toBeInstanceOf(
      UnrecoverableError,
    );
  });
});
