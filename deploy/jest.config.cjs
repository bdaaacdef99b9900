module.exports = {
  ...require('../jest.preset.cjs').unitConfig(__dirname, 'deploy'),
  moduleNameMapper: require('ts-jest').pathsToModuleNameMapper(require('../tsconfig.base.json').compilerOptions.paths, {
    prefix: '<rootDir>/../',
  }),
  // The first run builds kustomize from the Go module proxy.
  testTimeout: 300000,
};
