// `netprobe demo`: trace the example servers of each network model under identical load, print the
// comparison and write report.html. Ctrl-C stops the demo, writes the report of what was traced, exits 130.
import { join, relative } from 'node:path';
import type { Command } from 'commander';
import { NetprobeError } from '../model/errors.js';
import { renderCompareTable } from '../render/compare-table.js';
import { renderReportHtml } from '../render/report-html.js';
import { compareRuns } from '../report/compare.js';
import { compareRunOf } from '../run/compare-input.js';
import { runDemo, SWEEP_SERVERS, type DemoResult } from '../run/demo.js';
import type { BackendName } from '../run/types.js';
import { onStopSignals, parseDurationOption, parsePositiveInt, printWarnings, writeOutput } from './common.js';

interface DemoFlags {
  out?: string;
  duration: string;
  connections: string;
  backend: string;
  sweep: string | false;
  sweepDuration: string;
  servers?: string;
}

const BACKENDS = ['auto', 'strace', 'perf', 'bpftrace'];

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('build and trace the bundled example servers of each network model under identical load; print the comparison; write an HTML report')
    .option('--out <dir>', 'directory to create for the runs and report.html (default netprobe-out/demo-<timestamp>)')
    .option('--duration <time>', 'load per server, e.g. 3s or 500ms', '3s')
    .option('--connections <n>', 'keep-alive connections of the built-in load', '50')
    .option('--backend <name>', 'strace, perf, bpftrace or auto (lowest overhead that works)', 'auto')
    .option('--sweep <levels>', `connection levels swept on ${SWEEP_SERVERS.join(', ')}, e.g. 10,100,500`, '10,100,500')
    .option('--no-sweep', 'skip the connection sweep')
    .option('--sweep-duration <time>', 'load per sweep level', '1s')
    .option('--servers <ids>', 'only these example servers (comma-separated ids)')
    .addHelpText(
      'after',
      `
Each server gets the same keep-alive HTTP load; its syscall mix per request
decides its network model, and a CPU profile (perf, when it works here) gives
it a flame graph. With bpftrace, each server also shows where its threads wait
(off-CPU time by kind, and its flame graph) and how long its syscalls take
(latency by family). Ctrl-C writes the report of the servers traced so far and
exits 130.

Examples:
  $ netprobe demo
  $ netprobe demo --servers go-nethttp,c-threads,c-epoll --no-sweep
  $ netprobe demo --backend strace --duration 5s --out /tmp/demo
  $ netprobe demo --sweep 10,100,1000 --sweep-duration 2s`,
    )
    .action(async (flags: DemoFlags) => {
      if (!BACKENDS.includes(flags.backend)) {
        throw new NetprobeError('usage', `Expected \`--backend\` to be one of ${BACKENDS.join(', ')}, got \`${flags.backend}\``);
      }
      const started = Date.now();
      const ac = new AbortController();
      let signals = 0;
      const onSignal = () => {
        signals++;
        process.stderr.write(signals === 1 ? '\nnetprobe: stopping; the report will cover the servers traced so far...\n' : 'netprobe: still stopping, please wait\n');
        ac.abort();
      };
      const stopListening = onStopSignals(onSignal);
      let result: DemoResult;
      try {
        result = await runDemo({
          ...(flags.out ? { outDir: flags.out } : {}),
          durationSeconds: parseDurationOption('--duration', flags.duration),
          connections: parsePositiveInt('--connections', flags.connections),
          backend: flags.backend as BackendName | 'auto',
          sweepLevels: flags.sweep === false ? [] : parseLevels(flags.sweep),
          sweepSeconds: parseDurationOption('--sweep-duration', flags.sweepDuration),
          ...(flags.servers ? { only: flags.servers.split(',').map((s) => s.trim()).filter(Boolean) } : {}),
          onProgress: (m) => process.stderr.write(`${m}\n`),
          signal: ac.signal,
        });
      } finally {
        stopListening();
      }
      if (result.runs.length === 0 && result.interrupted) {
        throw new NetprobeError('interrupted', 'interrupted before any server was traced; nothing written');
      }
      if (result.runs.length === 0) {
        throw new NetprobeError('environment', `no example server could be traced: ${result.failed.map((f) => `${f.id}: ${f.reason.split('\n')[0]}`).join('; ')}`, {
          hint: 'Run `netprobe doctor` to see which tracers work here.',
        });
      }

      const onWarning = printWarnings();
      for (const { result: r } of result.runs) for (const w of r.warnings) onWarning(w);
      const comparison = compareRuns(result.runs.map(({ server, result: r }) => compareRunOf(r, r.interrupted ? `${server.id} (cut short)` : server.id)));
      const profiles = result.runs.map(({ result: r }) => r.cpuProfile);
      const offcpuProfiles = result.runs.map(({ result: r }) => r.offcpuProfile);
      for (const { server, sweep } of result.sweeps) comparison.sweeps.push({ name: server.id, levels: sweep.levels });
      const expected = result.runs.map((r) => r.server.expectedModel);

      await writeOutput(undefined, renderCompareTable(comparison, { expected }));
      const notes = [
        ...(result.interrupted ? [interruptedNote(result)] : []),
        ...result.skipped.map((s) => `skipped ${s.id}: ${s.reason}. To enable it: ${s.fix}`),
        ...result.failed.map((f) => `failed ${f.id}: ${f.reason.split('\n')[0]}`),
        ...(result.cpuProblem ? [`no CPU flame graphs: ${result.cpuProblem}`] : []),
        ...(result.offcpuLatencyProblem ? [`no off-CPU or latency data: ${result.offcpuLatencyProblem}`] : []),
      ];
      for (const n of notes) process.stderr.write(`${n}\n`);

      const html = renderReportHtml({
        title: `netprobe demo: network models compared${result.interrupted ? ' (partial: interrupted)' : ''}`,
        subtitle: `${new Date().toISOString().slice(0, 19).replace('T', ' ')} UTC · backend ${result.backend} · ${flags.connections} keep-alive connections for ${flags.duration} per server`,
        comparison,
        expected,
        profiles,
        offcpuProfiles,
        flameCaption: 'Where each server spends CPU during the load: perf samples at 99 Hz with user and kernel stacks (wider = more CPU time).',
        notes,
      });
      const report = join(result.dir, 'report.html');
      await writeOutput(report, html);
      const mismatches = comparison.columns.filter((c, i) => c.model.label !== expected[i]).length;
      process.stderr.write(
        `${result.runs.length} servers traced in ${((Date.now() - started) / 1000).toFixed(0)}s${mismatches > 0 ? `, ${mismatches} classified differently than expected` : ''}\n`,
      );
      const relativeReport = relative(process.cwd(), report);
      const shown = relativeReport.startsWith('..') ? report : relativeReport;
      process.stdout.write(`report: ${shown}${result.interrupted ? ' (partial)' : ''}\n`);
      if (result.interrupted) throw new NetprobeError('interrupted', `interrupted; partial report written to ${shown}`);
    });
}

// Which servers the partial report covers, so nobody mistakes it for the whole demo.
function interruptedNote(result: DemoResult): string {
  const cut = result.runs.filter((r) => r.result.interrupted).map((r) => r.server.id);
  return `Interrupted (Ctrl-C): partial report of ${result.runs.length} server${result.runs.length === 1 ? '' : 's'} (${result.runs
    .map((r) => r.server.id)
    .join(', ')})${cut.length > 0 ? `; ${cut.join(', ')} cut short` : ''}; the rest and any sweep not finished were skipped.`;
}

function parseLevels(value: string): number[] {
  const levels = value
    .replace(/^connections=/, '')
    .split(',')
    .map((s) => Number(s.trim()));
  if (levels.length === 0 || levels.some((n) => !Number.isInteger(n) || n <= 0)) {
    throw new NetprobeError('usage', `Expected \`--sweep\` to be connection counts like 10,100,500, got \`${value}\``);
  }
  return levels;
}
