// Build time only: the modules that `npm run build` generates into dist/ because they need node_modules or
// package.json, which netprobe never reads at run time. Each is declared by a .d.ts next to where it lands
// in src/, so the code importing it type-checks; vitest.config.ts serves the same text to tests run from src/.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { scriptSafe } from '../render/assets/script-safe.js';

export interface GeneratedModule {
  /** Where the module lands, relative to dist/ (and where its .d.ts sits, relative to src/). */
  path: string;
  /** The module's JavaScript text, built from the package at `root` (the folder holding package.json). */
  source: (root: string) => string;
}

export const GENERATED_MODULES: readonly GeneratedModule[] = [
  { path: 'model/version.js', source: (root) => constantModule('VERSION', packageVersion(root)) },
  { path: 'render/assets/vendor-bundle.js', source: (root) => constantModule('VENDOR_SCRIPT', vendorScript(root)) },
];

function constantModule(name: string, value: string): string {
  return `// Generated at build time by src/build/generated-modules.ts; do not edit.\nexport const ${name} = ${JSON.stringify(value)};\n`;
}

function packageVersion(root: string): string {
  return (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
}

// Dependencies before dependents: each UMD bundle extends `window.d3` and reads what it needs from it.
const D3_MODULES = [
  'd3-array',
  'd3-color',
  'd3-dispatch',
  'd3-ease',
  'd3-format',
  'd3-interpolate',
  'd3-time',
  'd3-time-format',
  'd3-timer',
  'd3-selection',
  'd3-transition',
  'd3-hierarchy',
  'd3-scale',
] as const;

// The installed versions, so the page stays in step with package.json.
function vendorScript(root: string): string {
  const parts = D3_MODULES.map((name) => readFileSync(join(distDir(root, name), `${name}.min.js`), 'utf8'));
  parts.push(
    `/* d3-flame-graph 5, Apache-2.0, https://github.com/spiermar/d3-flame-graph */\n` +
      readFileSync(join(distDir(root, 'd3-flame-graph'), 'd3-flamegraph.umd.min.js'), 'utf8'),
  );
  return parts.map(scriptSafe).join('\n;\n');
}

// The d3-* packages only export ESM and UMD entry points, so resolve an entry and take its folder. Transitive
// dependencies (d3-color, d3-time, ...) may be nested under their dependents rather than hoisted next to us.
function distDir(root: string, name: string): string {
  const own = createRequire(join(root, 'package.json'));
  for (const anchor of [undefined, 'd3-flame-graph', 'd3-scale', 'd3-transition', 'd3-interpolate']) {
    try {
      const from = anchor === undefined ? own : createRequire(own.resolve(anchor));
      return dirname(from.resolve(name));
    } catch {
      // not reachable from this anchor; try the next one
    }
  }
  throw new Error(`cannot find the installed package ${name}, which flame graphs embed: run \`npm install\` first`);
}
