// Jest runs the TypeScript sources as ESM (see ../shared/TOOLCHAIN.md): ts-jest with useESM,
// `.js` suffixes of relative imports stripped, and the `#lib` subpath imports mapped to sources.
const libs = ['domain', 'config', 'persistence', 'smart-client', 'secrets', 'queue', 'registration', 'observability', 'api-client'];

const common = {
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json', diagnostics: { ignoreCodes: [151002] } }],
  },
  moduleNameMapper: {
    ...Object.fromEntries(libs.map((lib) => [`^#${lib}$`, `<rootDir>/libs/${lib}/src/index.ts`])),
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  testEnvironment: 'node',
};

export default {
  // A generous limit per test and hook: the suite must hold on a loaded 2-core machine (Jest's
  // default 5 s timed out plain API calls in full runs while other processes competed for the
  // cores). It is a global option: Jest ignores `testTimeout` inside a project's configuration.
  testTimeout: 60_000,
  // The run ends when the tests end: a broker a suite could not close (once, right after a Redis Cluster
  // failover) must fail that suite, not hold the whole run open until CI's deadline.
  forceExit: true,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs}/**/*.spec.ts'] },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'] },
  ],
};
