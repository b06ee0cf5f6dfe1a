// A baseline check as the terminal table, the Markdown of a PR comment and JSON: built with checkAgainstBaseline
// on small synthetic syscall tables, so every number in the output can be checked by hand.
import { describe, expect, it } from 'vitest';
import type { ModelVerdict } from '../../src/model/run.js';
import { tableFromRows, type SyscallRow } from '../../src/model/syscalls.js';
import { renderCheckJson, renderCheckMarkdown, renderCheckTable } from '../../src/render/check-table.js';
import { checkAgainstBaseline, type CheckMeasurement } from '../../src/report/check.js';

const row = (name: string, calls: number, errors = 0, errnos: Record<string, number> = {}): SyscallRow => ({ name, calls, errors, errnos, seconds: 0 });
const reactor: ModelVerdict = { label: 'event-loop reactor (epoll)', confidence: 0.9, evidence: ['epoll_wait per request'] };
const netpoll: ModelVerdict = { label: 'goroutine-per-connection (netpoll)', confidence: 0.8, evidence: ['futex per request'] };

// A C epoll server serving 1,000 requests: one read, one write and one epoll_ctl per request.
const baseline: CheckMeasurement = {
  name: 'main',
  requests: 1000,
  model: reactor,
  syscalls: tableFromRows([row('read', 1000), row('write', 1000), row('epoll_wait', 500), row('epoll_ctl', 1000), row('accept4', 4), row('close', 4)], false),
};
// The change under review: 30% more writes, half the epoll_ctl calls, and a futex that was not there before.
const current: CheckMeasurement = {
  name: 'feature/x',
  requests: 1000,
  model: reactor,
  syscalls: tableFromRows(
    [row('read', 1000), row('write', 1300), row('epoll_wait', 600), row('epoll_ctl', 500), row('accept4', 4), row('close', 4), row('futex', 300, 20, { EAGAIN: 20 })],
    false,
  ),
};
const regression = checkAgainstBaseline(baseline, current);
const unchanged = checkAgainstBaseline(baseline, baseline);

const ESC = String.fromCharCode(27);

describe('renderCheckTable', () => {
  it('a regression: every check with its amounts per request, change, limit and verdict, then why it failed', () => {
    expect(renderCheckTable(regression, { color: false })).toBe(
      [
        'netprobe check: feature/x against baseline main, calls per request',
        'check           baseline  current  change     limit  verdict',
        '────────────────────────────────────────────────────────────',
        'read/recv           1.00     1.00      0%      +10%  ok',
        'write/send          1.00     1.30    +30%      +10%  FAIL',
        'accept            0.0040   0.0040      0%      +10%  small',
        'epoll_ctl           1.00     0.50    -50%      +10%  better',
        'other syscalls    0.0040   0.0040      0%      +10%  small',
        'futex                  0     0.30     new  new only  FAIL',
        'epoll wait          0.50     0.60    +20%  new only  ok',
        'total               3.51     3.71   +5.7%     +100%  ok',
        'errors                 0     0.02     new  new only  small',
        'network model: event-loop reactor (epoll)  ok',
        'new only: a timing check (its count follows scheduling); fails only when it appears: from under --min-share of all calls, grown by --min-appearance of all calls (see --max-timing-increase)',
        'small: under --min-share of all calls in both runs, not gated (name it in --limit to gate it)',
        'better: dropped by more than the limit; run with --update-baseline to lock the gain in',
        'FAILED: write 1.00 → 1.30 per request (+30%, limit +10%); futex 0 → 0.30 per request (appeared: grew by over 4% of all calls, from under 1%)',
        '',
      ].join('\n'),
    );
  });

  it('a pass counts the gated checks and names the model; no "better" legend when nothing improved', () => {
    const out = renderCheckTable(unchanged, { color: false });
    expect(out.endsWith('\nPASSED: 5 checks within limits, same network model\n')).toBe(true);
    expect(out).toContain('\nnetwork model: event-loop reactor (epoll)  ok\n');
    expect(out).not.toContain('better:');
    expect(out).not.toMatch(/FAIL/);
  });

  it('a model change fails with the way out; allowed, it is not gated', () => {
    const changed = checkAgainstBaseline(baseline, { ...baseline, name: 'go', model: netpoll });
    const out = renderCheckTable(changed, { color: false });
    expect(out).toContain('\nnetwork model: event-loop reactor (epoll) -> goroutine-per-connection (netpoll)  FAIL (pass --allow-model-change if intended)\n');
    expect(out.endsWith('\nFAILED: network model event-loop reactor (epoll) → goroutine-per-connection (netpoll)\n')).toBe(true);
    const allowed = renderCheckTable(checkAgainstBaseline(baseline, { ...baseline, model: netpoll }, { allowModelChange: true }), { color: false });
    expect(allowed).toContain('goroutine-per-connection (netpoll)  not gated\n');
    // Without the same-model clause: the model was not compared.
    expect(allowed.endsWith('\nPASSED: 5 checks within limits\n')).toBe(true);
  });

  it('limits as given: an absolute amount in the comparison unit, off, and a large growth as a ratio', () => {
    const tenfold: CheckMeasurement = { ...current, syscalls: tableFromRows([...current.syscalls.rows.filter((r) => r.name !== 'epoll_ctl'), row('epoll_ctl', 12_000)], false) };
    const r = checkAgainstBaseline(baseline, tenfold, { limits: { write: { kind: 'absolute', amount: 0.25 }, futex: { kind: 'off' }, read: { kind: 'relative', fraction: 0.125 } } });
    const out = renderCheckTable(r, { color: false });
    expect(out).toMatch(/^write\/send +1\.00 +1\.30 +\+30% +\+0\.25\/req +FAIL$/m);
    expect(out).toMatch(/^futex +0 +0\.30 +new +off +off$/m);
    expect(out).toMatch(/^read\/recv +1\.00 +1\.00 +0% +\+12\.5% +ok$/m);
    // +1100%: a ratio reads better.
    expect(out).toMatch(/^epoll_ctl +1\.00 +12\.0 +x12\.0 +\+10% +FAIL$/m);
    // Twelve times the epoll_ctl calls also more than quadruple the total, which fails past +100% whatever its parts.
    expect(out).toMatch(/^total +3\.51 +15\.2 +\+334% +\+100% +FAIL$/m);
    expect(out).toContain(
      'FAILED: write 1.00 → 1.30 per request (+30%, limit +0.25/req); epoll-ctl 1.00 → 12.0 per request (x12.0, limit +10%); total 3.51 → 15.2 per request (+334%, limit +100%)\n',
    );
  });

  it('raw counts stay whole and carry no unit; the notes say why they are raw', () => {
    const r = checkAgainstBaseline({ ...baseline, requests: undefined }, { ...current, requests: undefined });
    expect(r.normalisation).toBe('raw');
    const out = renderCheckTable(r, { color: false });
    expect(out.split('\n')[0]).toBe('netprobe check: feature/x against baseline main, calls (raw counts)');
    expect(out).toMatch(/^write\/send +1,000 +1,300 +\+30% +\+10% +FAIL$/m);
    expect(out).toMatch(/^accept +4 +4 +0% +\+10% +small$/m);
    expect(out).toContain('\nnote: raw counts are only comparable when both runs served the same load (same request count or duration)\n');
    expect(out).toContain('FAILED: write 1,000 → 1,300 calls (+30%, limit +10%)');
  });

  it('per second of capture when only the durations are known', () => {
    const r = checkAgainstBaseline({ ...baseline, requests: undefined, durationSeconds: 2 }, { ...current, requests: undefined, durationSeconds: 2 });
    const out = renderCheckTable(r, { color: false });
    expect(out.split('\n')[0]).toBe('netprobe check: feature/x against baseline main, calls per second of capture');
    expect(out).toMatch(/^write\/send +500 +650 +\+30% +\+10% +FAIL$/m);
    expect(out).toContain('FAILED: write 500 → 650 per second (+30%, limit +10%)');
  });

  it('colour only when asked: failures red and bold, the legend dim', () => {
    expect(renderCheckTable(regression, { color: false })).not.toContain(ESC);
    const coloured = renderCheckTable(regression, { color: true });
    expect(coloured).toContain(`${ESC}[31m`);
    expect(coloured).toContain(`${ESC}[1m`);
    expect(coloured).toContain(`${ESC}[2m`);
    expect(coloured.replace(new RegExp(`${ESC}\\[[0-9;]*m`, 'g'), '')).toBe(renderCheckTable(regression, { color: false }));
  });
});

describe('renderCheckMarkdown', () => {
  it('a regression: heading, the table with right-aligned numbers, the model, the legend and the failure in bold', () => {
    expect(renderCheckMarkdown(regression)).toBe(
      [
        '### ❌ netprobe check found a regression',
        '',
        '`feature/x` against baseline `main`, calls per request.',
        '',
        '| check | baseline | current | change | limit | verdict |',
        '| --- | ---: | ---: | ---: | ---: | --- |',
        '| read/recv | 1.00 | 1.00 | 0% | +10% | ok |',
        '| write/send | 1.00 | 1.30 | +30% | +10% | **FAIL** |',
        '| accept | 0.0040 | 0.0040 | 0% | +10% | small |',
        '| epoll_ctl | 1.00 | 0.50 | -50% | +10% | better |',
        '| other syscalls | 0.0040 | 0.0040 | 0% | +10% | small |',
        '| futex | 0 | 0.30 | new | new only | **FAIL** |',
        '| epoll wait | 0.50 | 0.60 | +20% | new only | ok |',
        '| total | 3.51 | 3.71 | +5.7% | +100% | ok |',
        '| errors | 0 | 0.02 | new | new only | small |',
        '',
        'Network model: event-loop reactor (epoll) (ok)',
        '',
        '- new only: a timing check (its count follows scheduling); fails only when it appears: from under --min-share of all calls, grown by --min-appearance of all calls (see --max-timing-increase)',
        '- small: under --min-share of all calls in both runs, not gated (name it in --limit to gate it)',
        '- better: dropped by more than the limit; run with --update-baseline to lock the gain in',
        '',
        '**FAILED: write 1.00 → 1.30 per request (+30%, limit +10%); futex 0 → 0.30 per request (appeared: grew by over 4% of all calls, from under 1%)**',
        '',
      ].join('\n'),
    );
  });

  it('a pass: the passed heading and a plain verdict line', () => {
    const md = renderCheckMarkdown(unchanged);
    expect(md.startsWith('### ✅ netprobe check passed\n')).toBe(true);
    expect(md.endsWith('\n\nPASSED: 5 checks within limits, same network model\n')).toBe(true);
  });

  it('run names cannot break out of their code span; a model change is marked and notes become list items', () => {
    const r = checkAgainstBaseline({ ...baseline, name: 'a`b|c', requests: undefined }, { ...current, name: 'new', model: netpoll, requests: undefined });
    const md = renderCheckMarkdown(r);
    expect(md).toContain("`new` against baseline `a'b|c`, calls (raw counts).");
    expect(md).toContain('Network model: event-loop reactor (epoll) → goroutine-per-connection (netpoll) (**FAIL**)');
    expect(md).toContain('\n- Note: raw counts are only comparable when both runs served the same load (same request count or duration)\n');
    expect(md).toMatch(/\n\*\*FAILED: .*network model event-loop reactor \(epoll\) → goroutine-per-connection \(netpoll\)\*\*\n$/);
  });
});

describe('renderCheckJson', () => {
  it('is the CheckResult itself, pretty-printed, with null where a change has no baseline', () => {
    const json = renderCheckJson(regression);
    expect(json.endsWith('}\n')).toBe(true);
    const parsed = JSON.parse(json) as typeof regression;
    expect(parsed).toEqual(regression);
    expect(parsed.passed).toBe(false);
    expect(parsed.checks.find((c) => c.id === 'futex')).toMatchObject({ baseline: 0, change: null, verdict: 'fail', limit: { kind: 'appearance' } });
    expect(json).toContain('\n  "normalisation": "per-request",\n');
  });
});
