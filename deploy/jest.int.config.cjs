// Integration tests of the monitoring (a real Prometheus scraping the built workers, real Kafka and MongoDB).
const { pathsToModuleNameMapper } = require('ts-jest');

module.exports = {
  ...require('../jest.preset.cjs').integrationConfig(__dirname, 'deploy'),
  // One level below the root, unlike the apps and libs the preset is written for.
  moduleNameMapper: pathsToModuleNameMapper(require('../tsconfig.base.json').compilerOptions.paths, {
    prefix: '<rootDir>/../',
  }),
  globalSetup: '<rootDir>/../libs/testing/src/global-setup.ts',
  globalTeardown: '<rootDir>/../libs/testing/src/global-teardown.ts',
  // Waits for Prometheus's windows to fill (deriv over 10m at 1m steps needs two steps).
  testTimeout: 600000,
};
