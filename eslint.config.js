import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.data/**', 'coverage/**'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', URL: 'readonly', fetch: 'readonly' },
      // Classes referenced by decorator metadata (DTOs in handler signatures) are runtime values:
      // this keeps consistent-type-imports from turning them into type-only imports.
      parserOptions: { emitDecoratorMetadata: true, experimentalDecorators: true },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: "MemberExpression[object.name='process'][property.name='env']",
          message: 'Read settings from AppConfig (libs/core/src/config), not process.env.',
        },
      ],
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/libs/*/src/*', '!**/libs/testing/src/*'], message: 'Import other libs through "#<lib>".' },
          ],
        },
      ],
    },
  },
  {
    // Library code also limits string lengths in code points, as PostgreSQL counts them.
    files: ['libs/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/libs/*/src/*', '!**/libs/testing/src/*'], message: 'Import other libs through "#<lib>".' },
          ],
          paths: [
            {
              name: 'class-validator',
              importNames: ['Length', 'MaxLength', 'MinLength'],
              message:
                'Use CodePointLength / MaxCodePoints / MinCodePoints from #core (PostgreSQL counts code points).',
            },
          ],
        },
      ],
    },
  },
  {
    files: [
      'libs/core/src/config/**',
      'libs/core/src/runtime/**',
      'libs/core/src/database/cli-data-source.ts',
      'libs/testing/**',
      'test/**',
      'ops/**',
      '**/*.spec.ts',
    ],
    rules: { 'no-restricted-syntax': 'off' },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', globalThis: 'readonly', URL: 'readonly' } },
    rules: { 'no-restricted-syntax': 'off' },
  },
);
