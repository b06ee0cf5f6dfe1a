// The browser code every flame-graph page inlines: d3's UMD bundles and d3-flame-graph, read from the
// installed packages so the page works offline (no CDN) and stays in step with package.json.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { NetprobeError } from '../../model/errors.js';

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

let cached: string | undefined;

/** The concatenated vendor script (about 150 kB), safe to place inside a <script> element. */
export function vendorScript(): string {
  if (cached === undefined) {
    const parts = D3_MODULES.map((name) => readFileSync(join(distDir(name), `${name}.min.js`), 'utf8'));
    parts.push(
      `/* d3-flame-graph 5, Apache-2.0, https://github.com/spiermar/d3-flame-graph */\n` +
        readFileSync(join(distDir('d3-flame-graph'), 'd3-flamegraph.umd.min.js'), 'utf8'),
    );
    cached = parts.map(scriptSafe).join('\n;\n');
  }
  return cached;
}

// The d3-* packages only export ESM and UMD entry points, so resolve an entry and take its folder. Transitive
// dependencies (d3-color, d3-time, ...) may be nested under their dependents rather than hoisted next to us.
function distDir(name: string): string {
  const own = createRequire(import.meta.url);
  for (const anchor of [undefined, 'd3-flame-graph', 'd3-scale', 'd3-transition', 'd3-interpolate']) {
    try {
      const from = anchor === undefined ? own : createRequire(own.resolve(anchor));
      return dirname(from.resolve(name));
    } catch {
      // not reachable from this anchor; try the next one
    }
  }
  throw new NetprobeError('environment', `cannot find the installed package ${name}, which flame graphs embed`, {
    hint: 'Reinstall netprobe (`npm install` in its directory).',
  });
}

// Inside <script>, `</script` ends the element and `<!--` changes the tokenizer state; neither may appear raw.
export function scriptSafe(code: string): string {
  return code.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}
