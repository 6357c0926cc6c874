import { freshnessLifetime } from './cache-control.js';

describe('freshnessLifetime', () => {
  it.each([
    [undefined, undefined],
    ['public', undefined],
    ['max-age=600', 600],
    ['public, max-age=600, s-maxage=60', 60],
    ['max-age="120"', 120],
    ['no-store', 0],
    ['no-cache, max-age=600', 0],
    ['max-age=abc', undefined],
    [['public', 'max-age=30'], 30],
  ])('%p -> %p', (header, seconds) => {
    expect(freshnessLifetime(header)).toBe(seconds);
  });
});
