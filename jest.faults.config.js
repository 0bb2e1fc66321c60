// `npm run test:faults`: fault injection against real processes (built
// dist/), the machine's real PostgreSQL cluster and Redis (test/faults/).
// One file at a time: a scenario restarts PostgreSQL, which every database on
// the cluster feels, so the suite never runs beside another one (CI runs it
// after `npm test`).
const base = require('./jest.config.js');

module.exports = {
  rootDir: '.',
  testEnvironment: 'node',
  reporters: ['default', '<rootDir>/test/helpers/summary-reporter.js'],
  testRegex: ['test/faults/.*\\.fault-spec\\.ts$'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  transform: base.transform,
  globalSetup: '<rootDir>/test/faults/helpers/global-setup.ts',
  globalTeardown: '<rootDir>/test/faults/helpers/global-teardown.ts',
  testTimeout: 90_000,
  maxWorkers: 1,
};
