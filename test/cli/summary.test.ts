import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixture, runCli } from '../helpers.js';

const STRACE_C = fixture('render', 'strace-c.txt');
const PERF = fixture('render', 'dd-bs512.perf');

describe('netprobe summary', () => {
  it('prints the syscall table of a strace -c file, sorted by time, with totals and the model verdict', async () => {
    const r = await runCli(['summary', STRACE_C]);
    expect(r.exitCode).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^syscall\s+calls\s+% calls\s+errors\s+seconds\s+µs\/call\s+% time$/);
    expect(lines[2]).toMatch(/^recvfrom\s+900\s+32\.23%\s+300\s+0\.012638\s+14\.0\s+33\.98%$/);
    expect(lines[3]).toMatch(/^sendto\s+600\s+21\.49%\s+0\.010899/);
    expect(r.stdout).toMatch(/\ntotal\s+2,792\s+100\.00%\s+437\s+0\.037196\s+13\.3\s+100\.00%\n/);
    expect(r.stdout).toMatch(/\nnetwork model: .+\(confidence \d+%\)\n/);
    expect(r.stdout).not.toContain('\u001b[');
  });

  it('--sort and --top choose the rows; totals still cover all of them', async () => {
    const r = await runCli(['summary', STRACE_C, '--sort', 'name', '--top', '3']);
    expect(r.exitCode).toBe(0);
    const names = r.stdout.split('\n').slice(2, 5).map((l) => l.split(/\s+/)[0]);
    expect(names).toEqual(['accept4', 'access', 'arch_prctl']);
    expect(r.stdout).toContain('(38 more syscalls with 2,789 calls not shown; totals include them)');
    expect(r.stdout).toMatch(/\ntotal\s+2,792/);
  });

  it('--json prints the syscalls/totals/threads/model fields of run.json', async () => {
    const r = await runCli(['summary', STRACE_C, '--json']);
    expect(r.exitCode).toBe(0);
    const json = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(Object.keys(json).sort()).toEqual(['model', 'syscalls', 'threads', 'totals']); // no inFlight: strace -c cannot tell
    expect(json.totals).toEqual({ calls: 2792, errors: 437, seconds: 0.037196 });
    expect(json.syscalls).toContainEqual({ name: 'recvfrom', calls: 900, errors: 300, errnos: {}, seconds: 0.012638 });
    expect(json.model).toMatchObject({ label: expect.any(String), confidence: expect.any(Number), evidence: expect.any(Array) });
  });

  it('a strace -c table says under it that it cannot show calls that never returned', async () => {
    const r = await runCli(['summary', STRACE_C]);
    expect(r.stdout).toMatch(/\nnote: strace -c counts a call only when it returns: exit, exit_group and calls still blocked when tracing ended are not in this table/);
  });

  it('a strace log counts exit(0) = ? and exit_group(0) = ? as calls made', async () => {
    const r = await runCli(['summary', fixture('strace', 'log', 'exits-C.log'), '--sort', 'name']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/\nexit\s+2\s+[\d.]+%\s+0\.000000\s+0\.00\s+0\.00%\n/);
    expect(r.stdout).toMatch(/\nexit_group\s+1\s+/);
    expect(r.stdout).not.toContain('in flight');
    expect(r.stdout).not.toContain('note:');
    const json = JSON.parse((await runCli(['summary', fixture('strace', 'log', 'exits-C.log'), '--json'])).stdout) as { inFlight: unknown };
    expect(json.inFlight).toEqual({});
  });

  it('a strace log of a detached capture shows the calls still in flight at the end', async () => {
    const r = await runCli(['summary', fixture('strace', 'log', 'exits-attached.log')]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('\nin flight at the end (entered, not returned; counted above): read 2\n');
    const json = JSON.parse((await runCli(['summary', fixture('strace', 'log', 'exits-attached.log'), '--json'])).stdout) as { inFlight: unknown };
    expect(json.inFlight).toEqual({ read: 2 });
  });

  it('says what to do with an input that has no syscall counts (exit 2)', async () => {
    const r = await runCli(['summary', PERF]);
    expect(r.exitCode).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`${PERF} has no syscall counts (it is a perf script CPU profile)`);
    expect(r.stderr).toContain(`hint: try \`netprobe flame ${PERF}\``);
  });

  it('rejects a bad --sort and a missing file with exit 2', async () => {
    const bad = await runCli(['summary', STRACE_C, '--sort', 'size']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('Expected `--sort` to be one of calls, errors, time, name, got `size`');
    const missing = await runCli(['summary', fixture('render', 'no-such-file.txt')]);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toContain('no such file or directory');
  });

  it('reads a run.json from stdin (`-`) with the same counts as its run directory', async () => {
    const run = fixture('models', 'runs', 'go-nethttp-bpftrace');
    const fromDir = await runCli(['summary', '--json', run]);
    const fromStdin = await runCli(['summary', '--json', '-'], { input: readFileSync(join(run, 'run.json')) });
    expect(fromStdin.exitCode).toBe(0);
    expect(JSON.parse(fromStdin.stdout).totals).toEqual(JSON.parse(fromDir.stdout).totals);
  });

  it("reads run.json's inFlight back: the table shows it, --json keeps it; runs written before it have none", async () => {
    const run = fixture('models', 'runs', 'go-nethttp-bpftrace');
    const written = JSON.parse(readFileSync(join(run, 'run.json'), 'utf8')) as Record<string, unknown>;
    expect(JSON.parse((await runCli(['summary', '--json', run])).stdout)).not.toHaveProperty('inFlight');
    const input = JSON.stringify({ ...written, inFlight: { read: 3, epoll_wait: 1 } });
    const table = await runCli(['summary', '-'], { input });
    expect(table.exitCode).toBe(0);
    expect(table.stdout).toContain('\nin flight at the end (entered, not returned; counted above): read 3, epoll_wait 1\n');
    expect(JSON.parse((await runCli(['summary', '--json', '-'], { input })).stdout).inFlight).toEqual({ read: 3, epoll_wait: 1 });
  });

  it('a JSON file that is not a run: exit 2, one line naming it and what was expected, no stack trace', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'netprobe-summary-'));
    try {
      const bad = join(tmp, 'other.json');
      writeFileSync(bad, '{"name": "not a run"}\n');
      const r = await runCli(['summary', bad]);
      expect(r.exitCode).toBe(2);
      expect(r.stderr).toMatch(/other\.json: expected a netprobe run\.json or baseline file with a `syscalls` array/);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
