import { randomBytes } from 'node:crypto';
import { ConfigError, loadConfig } from './config.js';

const minimal = {
  OPERATOR_TOKEN: 'o'.repeat(32),
  LOCAL_SECRETS_KEY: randomBytes(32).toString('base64'),
};

function problemsOf(source: Record<string, string>): string[] {
  try {
    loadConfig(source);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('configuration was accepted');
}

describe('loadConfig', () => {
  it('uses server-side prepared statements unless told not to', () => {
    expect(loadConfig(minimal).database.preparedStatements).toBe(true);
    expect(loadConfig({ ...minimal, DATABASE_PREPARED_STATEMENTS: 'false' }).database.preparedStatements).toBe(false);
  });

  it('reads a Redis Cluster from REDIS_CLUSTER_NODES and keeps a single Redis without it', () => {
    expect(loadConfig(minimal).redis.clusterNodes).toBeUndefined();
    expect(loadConfig({ ...minimal, REDIS_CLUSTER_NODES: 'redis-a:7000, 10.0.0.2:7001' }).redis.clusterNodes).toEqual([
      { host: 'redis-a', port: 7000 },
      { host: '10.0.0.2', port: 7001 },
    ]);
    expect(problemsOf({ ...minimal, REDIS_CLUSTER_NODES: 'redis-a' }).join()).toMatch(/REDIS_CLUSTER_NODES/);
  });

  it('reports a missing secrets key or region in the same pass as every other problem', () => {
    const problems = problemsOf({ OPERATOR_TOKEN: 'short', PORT: 'x', LOCAL_SECRETS_DATABASE_URL: 'mysql://db/x' });
    expect(problems.map((problem) => problem.slice(0, problem.indexOf(':'))).sort()).toEqual([
      'LOCAL_SECRETS_DATABASE_URL',
      'LOCAL_SECRETS_KEY',
      'OPERATOR_TOKEN',
      'PORT',
    ]);
    expect(problemsOf({ OPERATOR_TOKEN: 'short', SECRETS_BACKEND: 'aws' }).join('\n')).toMatch(
      /OPERATOR_TOKEN[\s\S]*AWS_REGION: is required when SECRETS_BACKEND=aws/,
    );
  });

  it('lists every wrong value at once, each with its variable', () => {
    const problems = problemsOf({
      ...minimal,
      DATABASE_PREPARED_STATEMENTS: 'no',
      DATABASE_POOL_SIZE: '0',
      DATABASE_URL: 'mysql://localhost/broker',
    });
    expect(problems).toHaveLength(3);
    expect(problems.join('\n')).toMatch(/DATABASE_PREPARED_STATEMENTS: must be true or false/);
    expect(problems.join('\n')).toMatch(/DATABASE_POOL_SIZE/);
    expect(problems.join('\n')).toMatch(/DATABASE_URL: must be a postgresql:\/\/ URL/);
  });
});
