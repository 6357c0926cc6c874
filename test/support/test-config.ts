import { loadConfig, type BrokerConfig } from '#config';

/** Fixed, obviously fake values so tests can scan for them in logs, responses and tables. */
export const TEST_OPERATOR_TOKEN = 'test-operator-token-0123456789abcdef0123456789';
export const TEST_LOCAL_SECRETS_KEY = Buffer.alloc(32, 7).toString('base64');

/** Configuration for tests: the environment `npm test` prepared, plus overrides. */
export function testConfig(overrides: Record<string, string> = {}): BrokerConfig {
  return loadConfig({
    ...process.env,
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
    OPERATOR_TOKEN: TEST_OPERATOR_TOKEN,
    LOCAL_SECRETS_KEY: TEST_LOCAL_SECRETS_KEY,
    DATABASE_URL: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/broker_test',
    OUTBOUND_ALLOWED_HOSTS: '127.0.0.1,localhost',
    // Every test file authenticates from 127.0.0.1: a suite's deliberate failures must not lock out the next file.
    AUTH_FAILURE_LIMIT: '1000',
    // The sweeps run every minute in production; here they keep their former daily / hourly period
    // so a test's registrations are not verified or rotated behind its back. Tests of the sweeps
    // set the period they need.
    VERIFY_SWEEP_INTERVAL_SECONDS: '86400',
    ROTATION_SWEEP_INTERVAL_SECONDS: '3600',
    ...overrides,
  });
}
