// netprobe feeding the real Prometheus components (Debian's prometheus and prometheus-pushgateway, installed by
// .ci/run): promtool lints the metrics of every input kind; a trace of the bundled C epoll reactor is pushed to
// a Pushgateway that a Prometheus scrapes, and PromQL finds one write per request.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { waitForPort } from '../../src/capture/ready.js';
import { runCli, toolAvailable } from '../helpers.js';
import { METRICS_FIXTURES } from '../run/metrics-fixtures.js';
import { freePort, processesMentioning, readRunJson, usableBackends, useBuiltProgram } from './trace-support.js';

// Probed once at collection: under CI a missing tool fails the file, elsewhere its tests skip with a SKIP line.
const havePromtool = toolAvailable('promtool', ['--version']);
const havePrometheus = toolAvailable('prometheus', ['--version']);
const haveGateway = toolAvailable('prometheus-pushgateway', ['--version']);
const usable = usableBackends();
// The cheapest backend that works; the reactor writes once per request under any of them.
const backend = ['bpftrace', 'perf', 'strace'].find((b) => usable[b]);
const canTrace = backend !== undefined && toolAvailable('gcc', ['--version']);

const work = useBuiltProgram('netprobe-prom-', 'servers/c-epoll/server.c', 'epoll-server');

/** `promtool check metrics` on `text`: its exit code and everything it printed (lint problems). */
function promtoolCheck(text: string): { status: number; output: string } {
  try {
    const out = execFileSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
    return { status: 0, output: out };
  } catch (err) {
    const e = err as { status: number; stdout: string; stderr: string };
    return { status: e.status, output: `${e.stdout}${e.stderr}` };
  }
}

describe('promtool check metrics', () => {
  for (const f of METRICS_FIXTURES) {
    it.skipIf(!havePromtool)(`finds no lint problem in the metrics of ${f.kind}`, async () => {
      const r = await runCli(['metrics', f.path, '--label', 'instance=web-7']);
      expect(r.exitCode).toBe(0);
      expect(promtoolCheck(r.stdout)).toEqual({ status: 0, output: '' });
    });
  }
});

/** A child process we started, stopped (SIGTERM) and reaped in afterAll. */
const started: ChildProcess[] = [];

function start(command: string, args: string[]): { child: ChildProcess; log: () => string } {
  const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (t: string) => {
    log = (log + t).slice(-4000);
  });
  started.push(child);
  return { child, log: () => log };
}

afterAll(async () => {
  await Promise.all(
    started.map(async (child) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }),
  );
});

interface PromVector {
  status: string;
  data: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };
}

async function query(port: number, promql: string): Promise<PromVector> {
  const res = await fetch(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(promql)}`);
  return (await res.json()) as PromVector;
}

describe('trace --push-metrics through a Pushgateway into Prometheus', () => {
  it.skipIf(!havePrometheus || !haveGateway || !canTrace)(
    'PromQL netprobe_syscall_calls_per_request{family="write"} is about 1.0 for the C epoll reactor',
    async () => {
      const gatewayPort = await freePort();
      // Debian's build persists to /var/lib/prometheus/pushgateway.data by default: keep this one in memory.
      const gateway = start('prometheus-pushgateway', [`--web.listen-address=127.0.0.1:${gatewayPort}`, '--persistence.file=']);
      await waitForPort(gatewayPort, { timeoutMs: 15_000 }).catch((err: Error) => {
        throw new Error(`prometheus-pushgateway did not listen: ${err.message}\n${gateway.log()}`);
      });

      const port = await freePort();
      const out = join(work.dir, 'run-push');
      const file = join(work.dir, 'netprobe.prom');
      const r = await runCli([
        'trace', '--backend', backend!, '--load', `http://127.0.0.1:${port}/`, '-c', '4', '-d', '1s', '-o', out,
        '--metrics-file', file, '--push-metrics', `http://127.0.0.1:${gatewayPort}`, '--label', 'instance=ci-host',
        '--', work.program, String(port),
      ]);
      expect(r.stderr).not.toMatch(/internal error/);
      expect(r.exitCode).toBe(0);
      const group = `http://127.0.0.1:${gatewayPort}/metrics/job/netprobe/name/epoll-server/instance/ci-host`;
      expect(r.stderr).toContain(`netprobe: metrics written to ${file}\n`);
      expect(r.stderr).toContain(`netprobe: metrics pushed to ${group}\n`);
      // The textfile is what was pushed, complete, with nothing temporary beside it.
      const text = readFileSync(file, 'utf8');
      expect(text).toMatch(/\nnetprobe_syscall_calls_per_request\{name="epoll-server",backend="\w+",instance="ci-host",syscall="write",family="write"\} [\d.]+\n/);
      expect(readdirSync(work.dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
      if (havePromtool) expect(promtoolCheck(text)).toEqual({ status: 0, output: '' });

      const promPort = await freePort();
      const config = join(work.dir, 'prometheus.yml');
      writeFileSync(
        config,
        [
          'global:',
          '  scrape_interval: 1s',
          'scrape_configs:',
          '  - job_name: pushgateway',
          '    honor_labels: true',
          '    static_configs:',
          `      - targets: ['127.0.0.1:${gatewayPort}']`,
          '',
        ].join('\n'),
      );
      const prometheus = start('prometheus', [
        `--config.file=${config}`,
        `--storage.tsdb.path=${join(work.dir, 'prometheus-data')}`,
        `--web.listen-address=127.0.0.1:${promPort}`,
      ]);
      await waitForPort(promPort, { timeoutMs: 30_000 }).catch((err: Error) => {
        throw new Error(`prometheus did not listen: ${err.message}\n${prometheus.log()}`);
      });

      const promql = 'netprobe_syscall_calls_per_request{family="write"}';
      let answer: PromVector | undefined;
      for (const deadline = Date.now() + 30_000; Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 500))) {
        answer = await query(promPort, promql).catch(() => undefined);
        if (answer?.data?.result.length) break;
      }
      console.info(`PromQL ${promql} ->\n${JSON.stringify(answer?.data.result, null, 2)}`);
      expect(answer?.status).toBe('success');
      expect(answer!.data.result).toHaveLength(1);
      const [series] = answer!.data.result;
      // honor_labels keeps the pushed job, name and instance instead of the scrape's own.
      expect(series!.metric).toEqual({
        __name__: 'netprobe_syscall_calls_per_request',
        job: 'netprobe',
        name: 'epoll-server',
        instance: 'ci-host',
        backend: backend!,
        syscall: 'write',
        family: 'write',
      });
      const writesPerRequest = Number(series!.value[1]);
      expect(writesPerRequest).toBeGreaterThanOrEqual(0.99);
      expect(writesPerRequest).toBeLessThan(1.05);
      // The same figure as run.json's.
      expect(writesPerRequest).toBeCloseTo(readRunJson(out).perRequest!.write!, 3);
    },
    120_000,
  );
});

describe('a gateway that cannot be reached', () => {
  it.skipIf(!canTrace)('exits 3 with the reason and how to push again, keeping the run directory and the metrics file', async () => {
    const port = await freePort();
    const closed = await freePort();
    const out = join(work.dir, 'run-refused');
    const file = join(work.dir, 'refused.prom');
    const r = await runCli([
      'trace', '--backend', backend!, '--load', `http://127.0.0.1:${port}/`, '-c', '2', '-n', '500', '-o', out,
      '--metrics-file', file, '--push-metrics', `http://127.0.0.1:${closed}`, '--', work.program, String(port),
    ]);
    expect(r.exitCode).toBe(3);
    const group = `http://127.0.0.1:${closed}/metrics/job/netprobe/name/epoll-server`;
    expect(r.stderr).toContain(
      `netprobe: cannot push metrics to ${group}: connection refused (is the Pushgateway running on that port?); the run is kept in ${out}\n` +
        `hint: Push it again with \`netprobe metrics ${out} | curl -X PUT --data-binary @- ${group}\`\n`,
    );
    // The summary was printed before the push, and the run is complete.
    expect(r.stdout).toContain('network model: event-loop reactor (epoll)');
    expect(readRunJson(out).load!.requests).toBe(500);
    expect(existsSync(file)).toBe(true);
    expect(processesMentioning(work.dir).filter((p) => p.includes('epoll-server'))).toEqual([]);
  }, 60_000);

  it.skipIf(!canTrace)('check -- <cmd> writes the metrics file of its capture too', async () => {
    const port = await freePort();
    const file = join(work.dir, 'check.prom');
    const baseline = join(work.dir, 'baseline.json');
    const r = await runCli([
      'check', '--baseline', baseline, '--update-baseline', '--backend', backend!, '--load', `http://127.0.0.1:${port}/`, '-c', '2', '-n', '500',
      '-o', join(work.dir, 'run-check'), '--metrics-file', file, '--label', 'instance=ci-host', '--', work.program, String(port),
    ]);
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.exitCode).toBe(0);
    expect(existsSync(baseline)).toBe(true);
    expect(readFileSync(file, 'utf8')).toMatch(/\nnetprobe_syscall_calls_total\{name="epoll-server",backend="\w+",instance="ci-host",syscall="write",family="write"\} \d+\n/);
  }, 60_000);
});
