// `netprobe doctor`: which backends work here, why not, and the exact command that fixes each.
import type { Command } from 'commander';
import { chooseBackend } from '../capture/backend-select.js';
import { probeBackends, probeCpuSampling, probeEnvironment, TRACEFS_DIR, type Environment, type ProbeResult } from '../capture/probes.js';
import { NetprobeError } from '../model/errors.js';
import { renderTable } from '../render/table.js';

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('check which tracing backends work here and print the command that fixes each one that does not')
    .option('--json', 'print the checks as JSON')
    .addHelpText(
      'after',
      `
Each backend is actually run on \`true\` (strace -c, perf stat on the syscall tracepoints, a bpftrace
program), so "works" means works. Exit status: 0 when at least one backend works, 3 when none does.

Examples:
  $ netprobe doctor
  $ netprobe doctor --json | jq '.backends[] | select(.ok | not) | .fix'`,
    )
    .action(async (flags: { json?: boolean }) => {
      const env = await probeEnvironment();
      const [backends, cpu] = await Promise.all([probeBackends(env), probeCpuSampling()]);
      const working = backends.filter((b) => b.ok);
      const auto = working.length > 0 ? chooseBackend(backends).reason : null;
      if (flags.json) {
        process.stdout.write(`${JSON.stringify({ environment: env, backends, cpu, auto }, null, 2)}\n`);
      } else {
        process.stdout.write(renderDoctor(env, backends, cpu, auto));
      }
      if (working.length === 0) {
        throw new NetprobeError('environment', 'no tracing backend works here', { hint: backends.map((b) => b.fix).filter(Boolean).join(' | ') });
      }
    });
}

function tracefsState(env: Environment): string {
  if (env.tracefs) return `readable (${env.tracefsMount ?? TRACEFS_DIR})`;
  return env.tracefsMount === undefined ? 'not mounted' : `mounted at ${env.tracefsMount}, not readable (run as root)`;
}

function renderDoctor(env: Environment, backends: ProbeResult[], cpu: ProbeResult, auto: string | null): string {
  const rows = [...backends, cpu].map((p) => [p.name === 'cpu' ? 'cpu (--cpu)' : p.name, p.ok ? 'works' : 'does not work', p.version ?? '', p.detail]);
  const out = [
    `root: ${env.root ? 'yes' : 'no'}   tracefs: ${tracefsState(env)}   perf_event_paranoid: ${env.perfParanoid ?? 'unknown'}`,
    '',
    renderTable(['backend', 'status', 'version', 'detail'], rows, { align: ['left', 'left', 'left', 'left'] }).trimEnd(),
  ];
  const fixes = [...backends, cpu].filter((p) => !p.ok && p.fix);
  if (fixes.length > 0) {
    out.push('', 'to fix:');
    for (const p of fixes) out.push(`  ${p.name}: ${p.fix}`);
  }
  out.push('', auto ? `--backend auto would use ${auto.replace(/^auto: /, '')}` : 'no backend works here');
  return `${out.join('\n')}\n`;
}
