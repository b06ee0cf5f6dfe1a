// `netprobe compare` on real captures: the table, --markdown, --json, and its usage/input errors.
import { describe, expect, it } from 'vitest';
import { fixture, runCli } from '../helpers.js';

const GO = fixture('models', 'go-nethttp-c50.strace.txt');
const NGINX = fixture('models', 'nginx-1worker-c50.strace.txt');
const PYTHON = fixture('models', 'python-httpserver-c1.strace.txt');
const PERF = fixture('render', 'dd-bs512.perf');

describe('netprobe compare', () => {
  it('prints the runs side by side with their network models', async () => {
    const r = await runCli(['compare', GO, NGINX, PYTHON]);
    expect(r.exitCode).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('Syscalls by family, calls (raw counts).');
    expect(lines[1]).toMatch(/^\s+go-nethttp-c50\.strace\.txt\s+nginx-1worker-c50\.strace\.txt\s+python-httpserver-c1\.strace\.txt$/);
    expect(r.stdout).toMatch(/\nread\/recv\s+33,948\s+46,456\s+5,332\n/);
    expect(r.stdout).toMatch(/\nmodel\s+netpoll\s+reactor\s+poll loop\n/);
    expect(r.stdout).toContain('  go-nethttp-c50.strace.txt: goroutine-per-connection (netpoll) ');
    expect(r.stdout).toContain('  nginx-1worker-c50.strace.txt: event-loop reactor (epoll) ');
    expect(r.stdout).toContain('  python-httpserver-c1.strace.txt: poll/select loop ');
    expect(r.stdout).not.toContain('\u001b[');
  });

  it('--markdown prints a GitHub table', async () => {
    const r = await runCli(['compare', GO, NGINX, '--markdown']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('\n|  | go-nethttp-c50.strace.txt | nginx-1worker-c50.strace.txt |\n| --- | ---: | ---: |\n');
    expect(r.stdout).toContain('\n| model | netpoll | reactor |\n');
  });

  it('--json prints the comparison with evidence', async () => {
    const r = await runCli(['compare', GO, NGINX, '--json']);
    expect(r.exitCode).toBe(0);
    const json = JSON.parse(r.stdout) as {
      columns: { name: string; normalisation: string; model: { label: string; evidence: string[] } }[];
      rows: { id: string; values: (number | null)[] }[];
      sweeps: unknown[];
    };
    expect(json.columns.map((c) => [c.name, c.normalisation, c.model.label])).toEqual([
      ['go-nethttp-c50.strace.txt', 'raw', 'goroutine-per-connection (netpoll)'],
      ['nginx-1worker-c50.strace.txt', 'raw', 'event-loop reactor (epoll)'],
    ]);
    expect(json.columns[0]!.model.evidence.join('\n')).toMatch(/nanosleep per read\/write/);
    // Raw counts straight from the strace tables: Go's epoll_pwait and nginx's epoll_wait in one family.
    expect(json.rows.find((r) => r.id === 'epoll-wait')!.values).toEqual([312, 1265]);
    expect(json.rows.map((r) => r.id)).toEqual(expect.arrayContaining(['futex', 'epoll-wait', 'read', 'write', 'accept', 'total', 'errors', 'eagain']));
    expect(json.sweeps).toEqual([]);
  });

  it('exits 2 with a hint for an input without syscall counts', async () => {
    const r = await runCli(['compare', GO, PERF]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/dd-bs512\.perf has no syscall counts to compare/);
    expect(r.stderr).toMatch(/^hint: compare reads strace -c output/m);
  });

  it('exits 2 on a missing file and on --markdown with --json', async () => {
    const missing = await runCli(['compare', GO, fixture('models', 'nope.txt')]);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toMatch(/nope\.txt: no such file or directory/);
    const both = await runCli(['compare', GO, '--markdown', '--json']);
    expect(both.exitCode).toBe(2);
    expect(both.stderr).toContain('Expected at most one of `--markdown` and `--json`');
  });
});
