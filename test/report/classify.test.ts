// The classifier on real captures of real servers (fixtures/models/README.md says how each was made).
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readInput } from '../../src/run/input.js';
import type { ModelLabel } from '../../src/model/run.js';
import { tableFromRows, type SyscallTable } from '../../src/model/syscalls.js';
import { classifyNetworkModel } from '../../src/report/classify.js';
import { fixture } from '../helpers.js';

const NETPOLL: ModelLabel = 'goroutine-per-connection (netpoll)';
const REACTOR: ModelLabel = 'event-loop reactor (epoll)';
const THREADS: ModelLabel = 'thread-per-connection (blocking)';
const POLL: ModelLabel = 'poll/select loop';
const FORK: ModelLabel = 'process-per-connection (fork)';

// The true model of every captured program, by file-name prefix (first match wins).
// ThreadingHTTPServer with 2 keep-alive clients is thread-per-connection, but 2-4 accepts cannot show it and its
// poll waits are only the accept loop's timeouts: the classifier must say unknown rather than poll/select loop.
const TRUTH: [prefix: string, label: ModelLabel][] = [
  ['python-threadinghttpserver-ka-whole-c2.', 'unknown'],
  ['python-threadinghttpserver-ka-mid-c2.', 'unknown'],
  ['python-m-http-server-', THREADS],
  ['go-nethttp-', NETPOLL],
  ['redis-idle.', 'unknown'],
  ['nginx-', REACTOR],
  ['node-http-', REACTOR],
  ['redis-', REACTOR],
  ['memcached-', REACTOR],
  ['python-threadinghttpserver-', THREADS],
  ['python-httpserver-', POLL],
  ['python-forkinghttpserver-', FORK],
  ['example-go-nethttp-', NETPOLL],
  ['example-go-reactor-', REACTOR],
  ['example-c-threads-', THREADS],
  ['example-c-epoll-', REACTOR],
  ['example-c-poll-', POLL],
  ['example-node-http-', REACTOR],
  ['ls.', 'unknown'],
  ['gcc-compile.', 'unknown'],
];

// strace -c, bpftrace maps, perf trace -s and strace logs; attached during the load or started with the server.
const captures = readdirSync(fixture('models'))
  .filter((f) => /\.(strace|bpftrace|perf)\.txt$|\.strace\.log$/.test(f))
  .sort();

async function table(file: string): Promise<SyscallTable> {
  const input = await readInput(fixture('models', file));
  if (!input.syscalls) throw new Error(`${file}: no syscalls`);
  return input.syscalls;
}

describe('classifyNetworkModel on real captures', () => {
  it('has a known truth for every capture', () => {
    expect(captures.length).toBeGreaterThan(40);
    for (const file of captures) expect(TRUTH.some(([p]) => file.startsWith(p)), file).toBe(true);
  });

  it.each(captures)('%s', async (file) => {
    const truth = TRUTH.find(([p]) => file.startsWith(p))![1];
    const verdict = classifyNetworkModel(await table(file));
    expect({ file, label: verdict.label }).toEqual({ file, label: truth });
    expect(verdict.evidence.length).toBeGreaterThan(0);
    if (truth === 'unknown') expect(verdict.confidence).toBe(0);
    else expect(verdict.confidence).toBeGreaterThanOrEqual(0.5);
  });
});

describe('classifyNetworkModel evidence and edge cases', () => {
  it('explains a Go verdict with the sysmon sleeps and the EAGAIN reads', async () => {
    const verdict = classifyNetworkModel(await table('go-nethttp-c50.bpftrace.txt'));
    expect(verdict.evidence.join('\n')).toMatch(/nanosleep per read\/write/);
    expect(verdict.evidence.join('\n')).toMatch(/of reads fail \(EAGAIN\)/);
  });

  it('says unknown, with the reason, for an empty table', () => {
    const verdict = classifyNetworkModel(tableFromRows([], false));
    expect(verdict).toEqual({ label: 'unknown', confidence: 0, evidence: [expect.stringMatching(/^only 0 read\/write-family calls/)] });
  });

  it('classifies an arm64-style table (epoll_pwait only) of a reactor the same way', async () => {
    const nginx = await table('nginx-1worker-c50.strace.txt');
    const arm64 = tableFromRows(
      nginx.rows.map((r) => (r.name === 'epoll_wait' ? { ...r, name: 'epoll_pwait' } : r)),
      nginx.hasTime,
    );
    expect(classifyNetworkModel(arm64).label).toBe(REACTOR);
  });

  it('prints counts with thousands separators', async () => {
    const verdict = classifyNetworkModel(await table('go-nethttp-c200.bpftrace.txt'));
    const yields = (await table('go-nethttp-c200.bpftrace.txt')).rows.find((r) => r.name === 'sched_yield')!.calls;
    expect(yields).toBeGreaterThanOrEqual(1000);
    expect(verdict.evidence).toContain(`${yields.toLocaleString('en-US')} sched_yield (scheduler spinning)`);
  });

  it('names errnos for a bpftrace table with no errors at all (nothing to break down)', async () => {
    const node = await table('node-http-c200.bpftrace.txt');
    expect(node.totals.errors).toBe(0);
    expect(classifyNetworkModel(node).evidence).toContain('0% of reads fail (EAGAIN)');
  });

  it('names the source when errors come without errnos', async () => {
    const verdict = classifyNetworkModel(await table('go-nethttp-c50.strace.txt'), { source: 'strace -c' });
    expect(verdict.evidence.join('\n')).toMatch(/of reads fail \(EAGAIN or other errors: strace -c does not name errnos\)/);
  });

  it('does not take startup threads for connection threads when an event loop serves the connections', async () => {
    const node = await table('node-http-whole-c8.strace.txt');
    const clones = node.rows.find((r) => r.name === 'clone3')!.calls;
    const accepts = node.rows.find((r) => r.name === 'accept4')!.calls;
    expect(clones / accepts).toBeGreaterThanOrEqual(0.5);
    expect(classifyNetworkModel(node).label).toBe(REACTOR);
  });

  it('explains why a few keep-alive connections on threads are not a poll loop', async () => {
    const verdict = classifyNetworkModel(await table('python-threadinghttpserver-ka-mid-c2.strace.txt'));
    expect(verdict.label).toBe('unknown');
    expect(verdict.evidence.join('\n')).toMatch(/futex per read\/write .*threads serve connections/);
  });

  it('reports the thread count it was given', async () => {
    const verdict = classifyNetworkModel(await table('redis-c50.strace.txt'), { threads: 4 });
    expect(verdict.evidence).toContain('4 threads made syscalls');
  });

  it('tells forked children from threads by their reaping (wait4) and exit_group, not by the clone count', async () => {
    const forked = classifyNetworkModel(await table('python-forkinghttpserver-c50.bpftrace.txt'));
    expect(forked.label).toBe(FORK);
    expect(forked.evidence).toContain('1.00 clone/fork/vfork and 0 clone3 calls per accepted connection (1,135 and 0 / 1,135)');
    expect(forked.evidence.join('\n')).toMatch(/4\.73 wait4\/waitid and 1\.0 exit_group per accepted connection: each connection's task is a child process/);
    const threads = classifyNetworkModel(await table('python-threadinghttpserver-c50.strace.txt'));
    expect(threads.label).toBe(THREADS);
    expect(threads.evidence).toContain('0 wait4/waitid and 0 exit_group per accepted connection: the new tasks are threads, not child processes');
  });

  it('decides a forking server from strace -c by the reaping alone (strace -c lists no exit_group)', async () => {
    const t = await table('python-forkinghttpserver-c50.strace.txt');
    expect(t.rows.some((r) => r.name === 'exit_group')).toBe(false);
    expect(classifyNetworkModel(t).label).toBe(FORK);
  });

  it('says a capture of the parent alone missed the children that did the I/O', async () => {
    const verdict = classifyNetworkModel(await table('python-forkinghttpserver-pidfilter-c50.bpftrace.txt'));
    expect(verdict.label).toBe(FORK);
    expect(verdict.confidence).toBeLessThan(0.75);
    expect(verdict.evidence.join('\n')).toMatch(/only 0 read\/write-family calls for 824 connections: the children that served them are not in this capture/);
  });

  it('calls the tasks processes, not threads, under a forking server', async () => {
    const verdict = classifyNetworkModel(await table('python-forkinghttpserver-mid-curl.strace.log'));
    expect(verdict.label).toBe(FORK);
    expect(verdict.evidence.join('\n')).toMatch(/\d+ tasks \(processes and threads\) made syscalls/);
  });

  it('keeps a thread per connection that also reaps a helper process per connection (clone3 threads) as threads', () => {
    const row = (name: string, calls: number) => ({ name, calls, errors: 0, errnos: {}, seconds: 0 });
    const t = tableFromRows(
      [row('accept4', 200), row('clone3', 200), row('clone', 200), row('wait4', 200), row('recvfrom', 400), row('sendto', 400), row('poll', 20)],
      false,
    );
    const verdict = classifyNetworkModel(t);
    expect(verdict.label).toBe(THREADS);
    expect(verdict.evidence.join('\n')).toMatch(/the new tasks are threads/);
  });
});
