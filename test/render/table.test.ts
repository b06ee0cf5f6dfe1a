import { afterEach, describe, expect, it } from 'vitest';
import { latencyFromBuckets } from '../../src/model/latency.js';
import { tableFromRows, type SyscallRow } from '../../src/model/syscalls.js';
import { renderModelVerdict, renderSyscallTable, renderTable, sortSyscallRows, terminalColors } from '../../src/render/table.js';

const rows: SyscallRow[] = [
  { name: 'recvfrom', calls: 1234, errors: 1200, errnos: { EAGAIN: 1200 }, seconds: 0.012638 },
  { name: 'epoll_wait', calls: 600, errors: 0, errnos: {}, seconds: 0.5 },
  { name: 'accept4', calls: 40, errors: 30, errnos: { EAGAIN: 28, EMFILE: 2 }, seconds: 0.00012 },
  { name: 'close', calls: 40, errors: 0, errnos: {}, seconds: 0.00004 },
];

describe('renderTable', () => {
  it('aligns the first column left and the others right, with rules around the body', () => {
    expect(renderTable(['name', 'n'], [['a', '1'], ['bbbb', '1,000']], { footer: [['total', '1,001']], color: false })).toBe(
      ['name       n', '────────────', 'a          1', 'bbbb   1,000', '────────────', 'total  1,001', ''].join('\n'),
    );
  });

  it('measures cells by their visible width, so coloured cells stay aligned', () => {
    const red = terminalColors(true).red;
    const out = renderTable(['name', 'n'], [[red('a'), '1'], ['bbbb', red('1,000')]], { color: false });
    const visible = out.replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g'), '');
    expect(visible).toBe(['name      n', '───────────', 'a         1', 'bbbb  1,000', ''].join('\n'));
  });
});

describe('renderSyscallTable', () => {
  const table = tableFromRows(rows, true, 8);

  it('sorts by time when time is known and shows the top errno, totals and threads', () => {
    expect(renderSyscallTable(table, { color: false })).toBe(
      [
        'syscall     calls  % calls  errors                 seconds  µs/call   % time',
        '────────────────────────────────────────────────────────────────────────────',
        'epoll_wait    600   31.35%                        0.500000      833   97.50%',
        'recvfrom    1,234   64.47%  1,200 (EAGAIN 1,200)  0.012638     10.2    2.46%',
        'accept4        40    2.09%     30 (EAGAIN 28)     0.000120     3.00    0.02%',
        'close          40    2.09%                        0.000040     1.00    0.01%',
        '────────────────────────────────────────────────────────────────────────────',
        'total       1,914  100.00%  1,230                 0.512798      268  100.00%',
        'threads: 8',
        '',
      ].join('\n'),
    );
  });

  it('drops the time columns when the source has no time, and adds per-request columns', () => {
    const countsOnly = tableFromRows(rows.map((r) => ({ ...r, seconds: 0 })), false);
    expect(renderSyscallTable(countsOnly, { color: false, perRequest: { requests: 400 }, top: 2, sort: 'errors' })).toBe(
      [
        'syscall   calls  calls/req  % calls  errors                errors/req',
        '─────────────────────────────────────────────────────────────────────',
        'recvfrom  1,234       3.08   64.47%  1,200 (EAGAIN 1,200)        3.00',
        'accept4      40       0.10    2.09%     30 (EAGAIN 28)           0.07',
        '─────────────────────────────────────────────────────────────────────',
        'total     1,914       4.79  100.00%  1,230                       3.08',
        '(2 more syscalls with 640 calls not shown; totals include them)',
        'time not measured (add --latency)',
        'requests: 400',
        '',
      ].join('\n'),
    );
  });

  it('without time but with latency distributions: p50/p99 columns, no zero seconds, and says where they come from', () => {
    const countsOnly = tableFromRows(rows.map((r) => ({ ...r, seconds: 0 })), false, 8);
    const latency = { epoll_wait: latencyFromBuckets([[0.000524288, 0.001048576, 600]]) };
    const out = renderSyscallTable(countsOnly, { color: false, latency }).split('\n');
    expect(out[0]).toBe('syscall     calls  % calls  errors                    p50      p99');
    expect(out.find((l) => l.startsWith('epoll_wait'))).toBe('epoll_wait    600   31.35%                        1.05 ms  1.05 ms');
    expect(out.slice(-3)).toEqual(['time not measured: p50 and p99 are from --latency', 'threads: 8', '']);
    expect(out.join('\n')).not.toMatch(/seconds|µs\/call|% time|0\.000000/);
  });

  it('adds p50 and p99 columns from latency distributions; syscalls without one and the totals leave them empty', () => {
    const latency = {
      epoll_wait: latencyFromBuckets([[0.000524288, 0.001048576, 590], [0.268435456, 0.536870912, 10]], 0.4),
      recvfrom: latencyFromBuckets([[512e-9, 1024e-9, 1234]]),
    };
    const out = renderSyscallTable(table, { color: false, latency }).split('\n');
    expect(out[0]).toBe('syscall     calls  % calls  errors                 seconds  µs/call   % time      p50      p99');
    expect(out[2]).toBe('epoll_wait    600   31.35%                        0.500000      833   97.50%  1.05 ms   400 ms');
    expect(out[3]).toBe('recvfrom    1,234   64.47%  1,200 (EAGAIN 1,200)  0.012638     10.2    2.46%  1.02 µs  1.02 µs');
    expect(out[4]).toBe('accept4        40    2.09%     30 (EAGAIN 28)     0.000120     3.00    0.02%');
    expect(out[7]).toBe('total       1,914  100.00%  1,230                 0.512798      268  100.00%');
  });

  it('sorts by calls, errors, time or name (ties: calls, then name)', () => {
    expect(sortSyscallRows(rows, 'calls').map((r) => r.name)).toEqual(['recvfrom', 'epoll_wait', 'accept4', 'close']);
    expect(sortSyscallRows(rows, 'errors').map((r) => r.name)).toEqual(['recvfrom', 'accept4', 'epoll_wait', 'close']);
    expect(sortSyscallRows(rows, 'name').map((r) => r.name)).toEqual(['accept4', 'close', 'epoll_wait', 'recvfrom']);
  });

  it('colours errors and headers only when colour is on', () => {
    expect(renderSyscallTable(table, { color: true })).toContain('\u001b[31m1,200\u001b[39m');
    expect(renderSyscallTable(table, { color: false })).not.toContain('\u001b[');
  });
});

describe('terminalColors', () => {
  const saved = { NO_COLOR: process.env.NO_COLOR, FORCE_COLOR: process.env.FORCE_COLOR };
  afterEach(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  it('turns colour off for a non-empty NO_COLOR (what --no-color sets), even when an explicit caller wants the default', () => {
    process.env.NO_COLOR = '1';
    expect(terminalColors().level).toBe(0);
    expect(terminalColors(true).level).toBeGreaterThan(0);
    expect(terminalColors(false).level).toBe(0);
  });
});

describe('renderModelVerdict', () => {
  it('prints the label, confidence and every line of evidence', () => {
    const out = renderModelVerdict(
      { label: 'event-loop reactor (epoll)', confidence: 0.85, evidence: ['epoll_wait is 31% of calls', 'recvfrom EAGAIN 97%'] },
      { color: false },
    );
    expect(out).toBe(
      ['network model: event-loop reactor (epoll) (confidence 85%)', '  - epoll_wait is 31% of calls', '  - recvfrom EAGAIN 97%', ''].join('\n'),
    );
  });
});
