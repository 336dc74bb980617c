// Jest runs the TypeScript sources as native ES modules (NODE_OPTIONS=--experimental-vm-modules,
// set by the npm scripts), transformed by SWC with decorator metadata.
const swc = {
  sourceMaps: 'inline',
  module: { type: 'es6' },
  jsc: {
    target: 'es2023',
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
    keepClassNames: true,
  },
};

const common = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', swc] },
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  // "#core", "#testing", ... resolve to the TypeScript sources (package.json "imports", condition lms-source).
  testEnvironmentOptions: { customExportConditions: ['lms-source', 'node', 'node-addons'] },
};

// OPENAPI_CONTRACT=strict fails a test whose responses differ from the OpenAPI document.
const contract = { setupFilesAfterEnv: ['<rootDir>/test/support/openapi-contract-setup.ts'] };

export default {
  globalSetup: '<rootDir>/test/support/global-setup.mjs',
  globalTeardown: '<rootDir>/test/support/global-teardown.mjs',
  testTimeout: 30000,
  projects: [
    { ...common, displayName: 'unit', roots: ['<rootDir>/apps', '<rootDir>/libs'], testMatch: ['**/*.spec.ts'] },
    {
      ...common,
      displayName: 'integration',
      roots: ['<rootDir>/apps', '<rootDir>/libs', '<rootDir>/test'],
      testMatch: ['**/*.int-spec.ts'],
      ...contract,
    },
    { ...common, ...contract, displayName: 'e2e', roots: ['<rootDir>/test'], testMatch: ['**/*.e2e-spec.ts'] },
  ],
};
