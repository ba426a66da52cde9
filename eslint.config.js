import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// DESIGN.md rule 6: the domain (core, connectors, puddles) never reaches for a cloud SDK or an adapter.
const noAdapters = {
  'no-restricted-imports': [
    'error',
    {
      patterns: [
        { group: ['@aws-sdk/*', 'aws-cdk-lib', 'aws-cdk-lib/*'], message: 'core/, connectors/ and puddles/ use ports, not AWS SDKs (DESIGN.md rule 6).' },
        { group: ['**/infra/**', '**/infra'], message: 'core/, connectors/ and puddles/ must not import infra/ (DESIGN.md rule 6).' },
      ],
    },
  ],
};

export default tseslint.config(
  { ignores: ['node_modules/', '.puddle/', 'dist/', 'coverage/', 'cdk.out/', '.tmp/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', setImmediate: 'readonly', URL: 'readonly', URLSearchParams: 'readonly', fetch: 'readonly', AbortController: 'readonly', performance: 'readonly', TextEncoder: 'readonly', TextDecoder: 'readonly', structuredClone: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  { files: ['core/**/*.ts', 'connectors/**/*.ts', 'puddles/**/*.ts'], rules: noAdapters },
);
