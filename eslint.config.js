// A small set of correctness rules, checked by `npm run lint`: promises that are never awaited or are
// passed where a plain callback is expected, dead code and unused names. Formatting and style are not
// linted. TypeScript (src/, test/) is linted with type information; JavaScript (bench/, bin/, configs)
// without it.
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

// Plain ESLint rules that catch bugs rather than style.
const correctness = {
  'no-unreachable': 'error',
  'no-fallthrough': 'error',
  'no-duplicate-case': 'error',
  'no-dupe-else-if': 'error',
  'no-self-assign': 'error',
  'no-self-compare': 'error',
  'no-unsafe-finally': 'error',
  'no-cond-assign': 'error',
  'no-constant-binary-expression': 'error',
  'no-control-regex': 'error',
};

// `_name` marks a deliberately unused binding (a required callback parameter, a skipped tuple slot).
const unusedVars = {
  args: 'after-used',
  ignoreRestSiblings: true,
  argsIgnorePattern: '^_',
  varsIgnorePattern: '^_',
  caughtErrorsIgnorePattern: '^_',
  destructuredArrayIgnorePattern: '^_',
};

export default defineConfig(
  // Build output, captured fixtures (real third-party servers and scripts), and the .gitignore'd outputs.
  { ignores: ['dist/', 'fixtures/', 'netprobe-out/', 'bench/data/', 'tmp/'] },
  {
    files: ['**/*.{js,mjs,cjs}'],
    rules: {
      ...correctness,
      'no-unused-vars': ['error', unusedVars],
      'no-unused-expressions': 'error',
    },
  },
  {
    files: ['**/*.ts'],
    plugins: { '@typescript-eslint': tseslint.plugin },
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: {
        // src/ is typed by tsconfig.json; test/ and vitest.config.ts are in no tsconfig (the build
        // compiles src/ only), so they are typed with tsconfig.json's options as "default project" files.
        // The file-count cap is raised for test/'s ~60 files: the whole lint takes about 10 s.
        projectService: {
          allowDefaultProject: ['vitest.config.ts', 'test/*.ts', 'test/*/*.ts', 'test/*/*/*.ts'],
          defaultProject: 'tsconfig.json',
          maximumDefaultProjectFileMatchCount_THIS_WILL_SLOW_DOWN_LINTING: 200,
        },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      ...correctness,
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unused-vars': ['error', unusedVars],
      '@typescript-eslint/no-unused-expressions': 'error',
    },
  },
);
