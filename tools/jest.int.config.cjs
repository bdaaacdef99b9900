// The tools project's own integration tests (local-infra); tools/simulator and tools/ops run theirs.
const { integrationConfig } = require('../jest.preset.cjs');

module.exports = { ...integrationConfig(__dirname, 'tools'), testMatch: ['<rootDir>/local-infra/**/*.int.test.ts'] };
