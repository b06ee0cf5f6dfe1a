import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vitest/config';
import { GENERATED_MODULES } from './src/build/generated-modules.js';

const root = dirname(fileURLToPath(import.meta.url));

// Vitest runs src/ as TypeScript, where the modules `npm run build` generates into dist/ do not exist:
// serve the same text, built from the same code, in their place.
function generatedModules(): Plugin {
  const byFile = new Map(GENERATED_MODULES.map((m) => [join(root, 'src', m.path), m]));
  const PREFIX = '\0netprobe-generated:';
  return {
    name: 'netprobe-generated-modules',
    enforce: 'pre',
    resolveId(source, importer) {
      if (importer === undefined || !source.startsWith('.')) return null;
      const file = resolve(dirname(importer), source);
      return byFile.has(file) ? PREFIX + file : null;
    },
    load(id) {
      if (!id.startsWith(PREFIX)) return null;
      return byFile.get(id.slice(PREFIX.length))!.source(root);
    },
  };
}

export default defineConfig({
  plugins: [generatedModules()],
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // e2e tests start real tracers and servers; two cores do not take parallel tracing well.
    fileParallelism: true,
    maxWorkers: 2,
  },
});
