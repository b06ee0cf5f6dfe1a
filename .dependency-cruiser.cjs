// Import rules for src/: the layering in DESIGN.md ("Layering"), checked by `npm run lint`.
// Each layer lists what it may import; anything else under src/ is an error. Type-only imports
// count as imports (tsPreCompilationDeps), except where a rule says otherwise.
//
// Allowed (DESIGN.md):
//   cli     -> run | capture (doctor only) | render | report | model
//   run     -> capture | parse | export | render | report | model
//   capture -> parse | model
//   parse, export, report -> model
//   render  -> model (+ `import type` from report)
//   model   -> nothing else in src/
//   nothing imports cli; src/build (build-time generator) is never imported at run time.

/**
 * A layer may import itself and `allowed`; any other folder under src/ is forbidden. Imports of cli/
 * and build/ are left to their own rules below, so each wrong import is reported once, by the rule
 * that explains it best.
 */
function layer(name, from, allowed, comment) {
  return {
    name,
    comment,
    severity: 'error',
    from: { path: `^src/${from}/` },
    to: { path: '^src/', pathNot: `^src/(${[from, ...allowed, 'cli', 'build'].join('|')})/` },
  };
}

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    layer(
      'cli-imports-run-capture-render-report-model',
      'cli',
      ['run', 'capture', 'render', 'report', 'model'],
      'cli/ is a thin commander layer (flags -> options -> one call -> print): parsing and exporting happen behind run/',
    ),
    {
      name: 'cli-capture-only-from-doctor',
      comment:
        'only cli/doctor.ts talks to capture/ directly (environment probes); every other command goes through run/',
      severity: 'error',
      from: { path: '^src/cli/', pathNot: '^src/cli/doctor\\.ts$' },
      to: { path: '^src/capture/' },
    },
    layer(
      'run-imports-capture-parse-export-render-report-model',
      'run',
      ['capture', 'parse', 'export', 'render', 'report', 'model'],
      'run/ orchestrates the pipeline stages; it is called by cli/, never the other way round',
    ),
    layer(
      'capture-imports-parse-model',
      'capture',
      ['parse', 'model'],
      'capture/ runs processes and tracers and returns what it captured; exporting, rendering, reporting and run directories belong to run/',
    ),
    layer(
      'parse-imports-model',
      'parse',
      ['model'],
      'parse/ is pure text -> model; it knows nothing of processes, outputs or decisions',
    ),
    layer(
      'export-imports-model',
      'export',
      ['model'],
      'export/ is model -> bytes; it serialises the model and nothing else',
    ),
    layer(
      'report-imports-model',
      'report',
      ['model'],
      'report/ makes pure decisions over the model; presenting them belongs to render/',
    ),
    layer(
      'render-imports-model-and-report-types',
      'render',
      ['model', 'report'],
      'render/ is model -> strings; it may read the shapes of report/ results (import type) but not compute them',
    ),
    {
      name: 'render-report-types-only',
      comment:
        'render/ may only `import type` from report/: decisions are made before rendering (in run/ or cli/), not by the renderer',
      severity: 'error',
      from: { path: '^src/render/' },
      to: { path: '^src/report/', dependencyTypesNot: ['type-only', 'type-import'] },
    },
    layer(
      'model-imports-nothing',
      'model',
      [],
      'model/ is the bottom layer every stage shares; it must not depend on any of them',
    ),
    {
      name: 'no-import-of-cli',
      comment: 'cli/ is the top of the program: nothing outside it may import it (move shared code down a layer)',
      severity: 'error',
      from: { pathNot: '^src/cli/' },
      to: { path: '^src/cli/' },
    },
    {
      name: 'no-runtime-import-of-build',
      comment: 'src/build/ runs at build time to generate assets; the program imports the generated output, not the generator',
      severity: 'error',
      from: { pathNot: '^src/build/' },
      to: { path: '^src/build/' },
    },
    {
      name: 'no-circular',
      comment: 'import cycles hide the layering and make load order matter; extract the shared part into a lower layer',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'chalk-cli-table3-only-in-render',
      comment: 'only render/ imports chalk or cli-table3 (STYLE.md 7): everything else returns data, render/ turns it into strings',
      severity: 'error',
      from: { pathNot: '^src/render/' },
      to: { path: '^node_modules/(chalk|cli-table3)/' },
    },
    {
      name: 'processes-only-in-capture',
      comment: 'only capture/ spawns processes (execa, node:child_process); other layers ask capture/ to run things',
      severity: 'error',
      from: { pathNot: '^src/capture/' },
      to: { path: '^(node_modules/execa/|(node:)?child_process$)' },
    },
  ],
  options: {
    // Type-only imports are dependencies too (render -> report is allowed only as `import type`).
    tsPreCompilationDeps: true,
    // Resolve imports with the project's own compiler settings (NodeNext: `./x.js` is `./x.ts`).
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
  },
};
