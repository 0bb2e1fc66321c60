// One Jest run covers unit tests (beside the code, *.spec.ts) and e2e tests
// (test/*.e2e-spec.ts). SWC strips types only; `npm test` type-checks with tsc first.
const swc = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    target: 'es2024',
  },
  module: { type: 'commonjs' },
  sourceMaps: 'inline',
};

module.exports = {
  rootDir: '.',
  testEnvironment: 'node',
  reporters: ['default', '<rootDir>/test/helpers/summary-reporter.js', '<rootDir>/test/helpers/suite-durations-reporter.js'],
  testSequencer: '<rootDir>/test/helpers/duration-hint-sequencer.js',
  testRegex: ['src/.*\\.spec\\.ts$', 'test/.*\\.e2e-spec\\.ts$', 'clients/[^/]+/test/.*\\.e2e-spec\\.ts$'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  transform: { '^.+\\.ts$': ['@swc/jest', swc] },
  globalSetup: '<rootDir>/test/helpers/global-setup.ts',
  globalTeardown: '<rootDir>/test/helpers/global-teardown.ts',
  testTimeout: 30000,
  maxWorkers: 2,
  // Each test file loads the whole app into a fresh module registry, and a
  // worker's heap reached 2.1–2.3 GB by the end of the suite (RSS 2.6–2.8 GB):
  // more than small CI machines have for two workers, and so much to tear
  // down that the workers missed Jest's 500 ms exit deadline ("A worker
  // process has failed to exit gracefully") although nothing kept them alive.
  // A worker past this is replaced after its current file.
  workerIdleMemoryLimit: '1GB',
};
