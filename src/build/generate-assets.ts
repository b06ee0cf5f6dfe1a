// Build time only: `npm run build` runs this (`node dist/build/generate-assets.js`) after tsc, to write the
// generated modules (generated-modules.ts) next to the compiled code in dist/. Nothing imports it at run time.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GENERATED_MODULES } from './generated-modules.js';

// This file runs as dist/build/generate-assets.js: dist/ is one level up, the package root two.
const dist = fileURLToPath(new URL('..', import.meta.url));
const root = fileURLToPath(new URL('../..', import.meta.url));

for (const module of GENERATED_MODULES) {
  const file = `${dist}${module.path}`;
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, module.source(root));
}
