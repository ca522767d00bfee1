// Lint, including the dependency boundaries: apps → libs → domain, never the reverse; framework-free cores.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const noAppImports = { group: ['**/apps/**', '@connector/*/src/**', '**/tools/**'], message: 'libs never import apps, test tools, nor deep paths of other libs' };
const frameworkFree = {
  group: ['@nestjs/*'],
  message: 'keep the core framework-free: Nest belongs in *.module.ts and nest/ only',
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.cache/**', 'coverage/**', '**/*.generated.ts', 'bench/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { projectService: false } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-console': 'error',
      eqeqeq: ['error', 'always'],
    },
  },
  {
    files: ['scripts/**/*.js', 'jest.config.js'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable', process: 'readonly', __dirname: 'readonly', console: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off', 'no-console': 'off' },
  },
  {
    files: ['apps/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { group: ['@connector/*/src/**', '**/libs/**'], message: 'import libs through their @connector/<lib> entry point' },
        { group: ['../../*/src/**', '../../../apps/**'], message: 'an app never imports another app' },
        { group: ['**/tools/**'], message: 'production code never imports the test tools' },
      ] }],
    },
  },
  {
    files: ['libs/**/*.ts'],
    ignores: ['libs/**/*.module.ts', 'libs/**/nest/**', 'libs/**/*.spec.ts', 'libs/**/*.int-spec.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [noAppImports, frameworkFree] }] },
  },
  {
    files: ['libs/**/*.module.ts', 'libs/**/nest/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [noAppImports] }] },
  },
  {
    // The domain: types, errors, identifiers. No framework, no I/O, no other lib.
    files: ['libs/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        noAppImports,
        { group: ['@connector/*', '@nestjs/*', 'kafkajs', 'mongoose', 'jsforce', 'faye', 'pino', 'node:fs', 'node:net', 'node:http', 'node:https', 'fs', 'net', 'http', 'https'], message: 'the domain lib has no framework, no I/O and no other lib' },
      ] }],
    },
  },
  {
    // Mapping is pure: describe metadata in, converted values out.
    files: ['libs/mapping/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        noAppImports,
        { group: ['@connector/kafka', '@connector/persistence', '@connector/salesforce', '@connector/observability', '@nestjs/*', 'kafkajs', 'mongoose', 'jsforce', 'faye'], message: 'the mapping lib is pure: it depends on domain only' },
      ] }],
    },
  },
  {
    // Tests may drive the test tools (the Salesforce emulator).
    files: ['**/*.spec.ts', '**/*.int-spec.ts', '**/*.emulator-spec.ts', '**/*.e2e-spec.ts', 'test/**/*.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off', 'no-restricted-imports': 'off' },
  },
);
