// One ESLint config for every project. Module boundaries are enforced by Nx tags:
// apps never import apps, libs never import apps, and the schema lib and the
// projection core stay free of kafkajs and mongodb so anything can use them.
import nx from '@nx/eslint-plugin';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

// The tools are code too: tools/local-infra and tools/scripts are TypeScript run by tsx,
// except the bootstraps of `npm test`/`npm start` (tools/scripts/*.mjs), which run
// before `npm ci` and are JavaScript checked through their JSDoc (tools/tsconfig.json).
export default [
  {
    ignores: [
      '**/dist',
      '**/node_modules',
      '**/.local-infra',
      '**/coverage',
      '**/.nx',
      '**/*.cjs',
      '**/*.mjs',
      '!tools/scripts/*.mjs',
    ],
  },
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  ...nx.configs['flat/javascript'],
  {
    files: ['**/*.ts', 'tools/scripts/*.mjs'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: true,
          banTransitiveDependencies: false,
          depConstraints: [
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:lib', 'type:core', 'type:schema'] },
            { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib', 'type:core', 'type:schema'] },
            // The projection model: types and the fold, depending on the contract only.
            { sourceTag: 'type:core', onlyDependOnLibsWithTags: ['type:core', 'type:schema'] },
            // Pure code (the core, the read models' rules): no IO library, whoever imports it.
            { sourceTag: 'purity:pure', bannedExternalImports: ['kafkajs', 'mongodb', 'prom-client', 'pino'] },
            {
              sourceTag: 'type:schema',
              onlyDependOnLibsWithTags: ['type:schema'],
              bannedExternalImports: ['kafkajs', 'mongodb', 'prom-client', 'pino'],
            },
            { sourceTag: 'type:tool', onlyDependOnLibsWithTags: ['type:lib', 'type:core', 'type:schema'] },
          ],
        },
      ],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { prefer: 'type-imports', fixStyle: 'separate-type-imports' },
      ],
      '@typescript-eslint/no-explicit-any': 'error',
      // With noUncheckedIndexedAccess, `!` after a checked index is the deliberate idiom.
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  prettier,
];
