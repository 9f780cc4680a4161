/** e2e specs over real HTTP against a real PostgreSQL (TEST_DATABASE_URL) or embedded PGlite. */
module.exports = {
  rootDir: '.',
  testMatch: ['<rootDir>/test/**/*.e2e-spec.ts', '<rootDir>/test/**/*.spec.ts'],
  transform: { '^.+\\.[tj]s$': ['ts-jest', { tsconfig: 'tsconfig.test.json' }] },
  // unicode-case-folding is ESM only: Node 20 require()s it (the built server), Jest there does not,
  // so it is compiled to CommonJS like our own files (tsconfig.test.json allows JavaScript).
  transformIgnorePatterns: ['/node_modules/(?!unicode-case-folding/)'],
  testEnvironment: 'node',
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  testTimeout: 60_000,
  maxWorkers: 2,
};
