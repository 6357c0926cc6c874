import { readFileSync } from 'node:fs';
import { WORKER_NODE_FLAGS } from './node-flags.js';

describe('worker node flags', () => {
  it('are the flags of the documented start command (package.json cannot import them)', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts['start:worker']).toBe(`node ${WORKER_NODE_FLAGS.join(' ')} dist/apps/worker/src/main.js`);
  });

  it('cap the heap at a size that still leaves room for a busy worker', () => {
    const cap = WORKER_NODE_FLAGS.map((flag) => /^--max-old-space-size=(\d+)$/.exec(flag)?.[1]).find(Boolean);
    expect(Number(cap)).toBeGreaterThanOrEqual(128);
  });
});
