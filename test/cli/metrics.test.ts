// `netprobe metrics` and the metrics flags of trace and check, through the built binary: output, -o, --label, and
// every wrong use an exit 2 before anything is captured.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture, runCli } from '../helpers.js';

const RUN = fixture('models', 'runs', 'go-nethttp-offcpu-latency');

describe('netprobe metrics', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'netprobe-metrics-cli-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints the run as Prometheus text, every series labelled with the run name, backend and --label', async () => {
    const r = await runCli(['metrics', RUN, '--label', 'instance=web-7', '--label', 'note=a=b']);
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^# HELP netprobe_syscall_calls_per_request .+\n# TYPE netprobe_syscall_calls_per_request gauge\n/);
    expect(r.stdout).toMatch(/\nnetprobe_syscall_calls_per_request\{name="go-nethttp",backend="bpftrace",instance="web-7",note="a=b",syscall="write",family="write"\} 1\.00\d+\n/);
    expect(r.stdout).toContain('\nnetprobe_model_info{name="go-nethttp",backend="bpftrace",instance="web-7",note="a=b",model="goroutine-per-connection (netpoll)",confidence="0.95"} 1\n');
    expect(r.stdout).toContain('\n# TYPE netprobe_syscall_latency_seconds summary\n');
    for (const line of r.stdout.trimEnd().split('\n').filter((l) => !l.startsWith('#'))) expect(line).toContain('instance="web-7"');
  });

  it('-o replaces the file atomically (the textfile collector reads it at any moment)', async () => {
    const out = join(dir, 'netprobe.prom');
    writeFileSync(out, 'stale 1\n');
    const r = await runCli(['metrics', fixture('models', 'example-c-epoll-c50.strace.txt'), '-o', out]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe('');
    expect(readFileSync(out, 'utf8')).toMatch(/^# HELP netprobe_syscall_calls_total /);
    expect(readdirSync(dir)).toEqual(['netprobe.prom']);
  });

  it('reads stdin', async () => {
    const r = await runCli(['metrics', '-'], { input: readFileSync(fixture('models', 'example-c-epoll-c50.strace.txt')) });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('name="stdin",backend="strace"');
  });

  it('wrong labels and inputs without syscall counts exit 2 with one line', async () => {
    const cases: [string[], RegExp][] = [
      [['metrics', RUN, '--label', 'instance'], /^netprobe: Expected `--label` like instance=web-7, got `instance`\n$/],
      [['metrics', RUN, '--label', 'host-name=x'], /^netprobe: `--label host-name=\.\.\.`: a label name is letters, digits and underscores/],
      [['metrics', RUN, '--label', 'a=1', '--label', 'a=2'], /^netprobe: `--label a` is given twice\n$/],
      [['metrics', RUN, '--label', 'backend=x'], /netprobe sets backend itself/],
      [['metrics', fixture('perf', 'busy-cpu-clock.txt')], /has no syscall counts/],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(args);
      expect({ args, exitCode: r.exitCode }).toEqual({ args, exitCode: 2 });
      expect(r.stderr).toMatch(message);
    }
  });
});

describe('--metrics-file, --push-metrics and --label on trace and check', () => {
  it('are checked before anything runs: a bad URL, a missing directory, a label alone, a sweep, an input to check', async () => {
    const cases: [string[], RegExp][] = [
      [['trace', '--push-metrics', 'localhost:9091', '--', 'true'], /Expected `--push-metrics` to be an http:\/\/ or https:\/\/ URL/],
      [['trace', '--metrics-file', '/nonexistent-dir/x.prom', '--', 'true'], /directory \/nonexistent-dir does not exist/],
      [['trace', '--label', 'instance=a', '--', 'true'], /`--label` labels the metrics of --metrics-file or --push-metrics/],
      [['trace', '--push-metrics', 'http://127.0.0.1:9', '--sweep', 'connections=1,2', '--load', 'http://127.0.0.1:9/', '--', 'true'], /publish one capture, not a --sweep/],
      [['check', '--baseline', RUN, RUN, '--metrics-file', join(tmpdir(), 'x.prom')], /publish a capture \(`-- <command>` or --pid\)/],
      [['check', '--baseline', RUN, '--push-metrics', 'http://user:pw@127.0.0.1:9091', '--', 'true'], /credentials in the URL are not supported/],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(args);
      expect({ args, exitCode: r.exitCode }).toEqual({ args, exitCode: 2 });
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toContain('secret');
    }
  });
});
