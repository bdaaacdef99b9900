// Shared jest settings. ts-jest only transpiles (isolatedModules); types are
// checked by each project's `typecheck` target, so tests start fast.
//
// Unit tests are `*.test.ts` and need nothing running. Integration tests are
// `*.int.test.ts`, run by the `integration` target against a real Kafka broker and
// MongoDB server that the @sc/testing global setup finds or starts.
const { relative } = require('node:path');
const { pathsToModuleNameMapper } = require('ts-jest');
const { compilerOptions } = require('./tsconfig.base.json');

/** `<rootDir>/` plus the way up from a project's folder to the workspace root, ending in `/`. */
const workspaceRootFrom = (rootDir) => `<rootDir>/${relative(rootDir, __dirname) || '.'}/`;

const base = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': [
      'ts-jest',
      {
        tsconfig: { ...compilerOptions, module: 'commonjs', paths: undefined, baseUrl: undefined },
        diagnostics: false,
      },
    ],
  },
  moduleFileExtensions: ['ts', 'js', 'json'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  clearMocks: true,
};

/** What every config of a project at `rootDir` shares. */
function projectConfig(rootDir) {
  return {
    ...base,
    rootDir,
    moduleNameMapper: pathsToModuleNameMapper(compilerOptions.paths, { prefix: workspaceRootFrom(rootDir) }),
  };
}

/** Unit tests of a project. */
function unitConfig(rootDir, displayName) {
  return {
    ...projectConfig(rootDir),
    displayName,
    testMatch: ['<rootDir>/**/*.test.ts'],
    testPathIgnorePatterns: [...base.testPathIgnorePatterns, '\\.int\\.test\\.ts$'],
  };
}

/** Integration tests of a project, against real infrastructure. */
function integrationConfig(rootDir, displayName) {
  return {
    ...projectConfig(rootDir),
    displayName: `${displayName}:integration`,
    testMatch: ['<rootDir>/**/*.int.test.ts'],
    globalSetup: `${workspaceRootFrom(rootDir)}libs/testing/src/global-setup.ts`,
    globalTeardown: `${workspaceRootFrom(rootDir)}libs/testing/src/global-teardown.ts`,
    testTimeout: 180000,
    // Files share one broker and one database server on 2 cores: one at a time.
    maxWorkers: 1,
  };
}

module.exports = { unitConfig, integrationConfig };
