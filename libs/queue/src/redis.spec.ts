import { queueKeyPrefix } from './redis.js';

describe('queueKeyPrefix', () => {
  it('keeps QUEUE_PREFIX for every queue on a single Redis', () => {
    expect(queueKeyPrefix({ queuePrefix: '{broker}' }, 'registration')).toBe('{broker}');
    expect(queueKeyPrefix({ queuePrefix: '{i16}', clusterNodes: [] }, 'webhooks')).toBe('{i16}');
  });

  it('gives each queue a hash tag of its own on a cluster, derived from QUEUE_PREFIX', () => {
    const cluster = { queuePrefix: '{broker}', clusterNodes: [{ host: 'redis', port: 7000 }] };
    expect(queueKeyPrefix(cluster, 'registration')).toBe('{broker:registration}');
    expect(queueKeyPrefix(cluster, 'lifecycle')).toBe('{broker:lifecycle}');
  });
});
