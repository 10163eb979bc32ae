// @ts-check
import eslint from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      '**/dist-test/**',
      '**/dist-bench/**',
      '**/.data/**',
      'artifacts/**',
      'packages/sdk/src/generated/**',
    ],
  },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  {
    files: ['**/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // Per-request code: V8 gives every object literal with a getter or setter a hidden class of
    // its own, which holds the literal's scope (the request) until a full collection. Use a class.
    files: ['packages/server/src/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector:
            "ObjectExpression > Property[kind='get'], ObjectExpression > Property[kind='set']",
          message:
            'an object literal with a getter or setter gets a hidden class of its own per evaluation, which keeps its scope alive: use a class (docs/performance.md)',
        },
      ],
    },
  },
  {
    files: [
      '**/test/**/*.ts',
      '**/test/**/*.tsx',
      '**/*.test.ts',
      '**/bench/**/*.ts',
      '**/scripts/**/*.ts',
    ],
    rules: {
      'no-console': 'off',
      // chai's expect(...).to.be.true is an expression statement.
      '@typescript-eslint/no-unused-expressions': 'off',
      // Tests read JSON answers of any shape.
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  prettier,
);
