// A baseline check as JUnit XML and as GitHub workflow commands, on small synthetic tables. The XML is read
// back with a real parser (fast-xml-parser: validation first, then the tree), never matched as text.
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import type { ModelVerdict } from '../../src/model/run.js';
import { tableFromRows, type SyscallRow } from '../../src/model/syscalls.js';
import { renderCheckJunit } from '../../src/render/check-junit.js';
import { describeCheck, renderCheckAnnotations } from '../../src/render/check-table.js';
import { checkAgainstBaseline, type CheckMeasurement, type CheckResult } from '../../src/report/check.js';

const row = (name: string, calls: number, errors = 0): SyscallRow => ({ name, calls, errors, errnos: {}, seconds: 0 });
const reactor: ModelVerdict = { label: 'event-loop reactor (epoll)', confidence: 0.9, evidence: [] };

const baseline: CheckMeasurement = {
  name: 'ci/syscalls.json',
  requests: 1000,
  model: reactor,
  syscalls: tableFromRows([row('read', 1000), row('write', 1000), row('epoll_wait', 500), row('accept4', 4), row('close', 4)], false),
};
// Each response now written in two calls, and a few more accepts (still under 1% of all calls).
const split: CheckMeasurement = {
  ...baseline,
  name: 'run <&> "1"',
  syscalls: tableFromRows([row('read', 1000), row('write', 2000), row('epoll_wait', 500), row('accept4', 12), row('close', 4)], false),
};

interface JunitCase {
  '@_name': string;
  '@_classname': string;
  failure?: { '@_message': string; '#text': string };
  'system-out'?: string;
}

function parseJunit(xml: string) {
  expect(XMLValidator.validate(xml)).toBe(true);
  const parser = new XMLParser({ ignoreAttributes: false, isArray: (name) => ['testcase', 'property'].includes(name) });
  const doc = parser.parse(xml) as {
    testsuites: { '@_tests': string; '@_failures': string; testsuite: { '@_name': string; '@_tests': string; '@_failures': string; testcase: JunitCase[]; properties: { property: { '@_name': string; '@_value': string }[] } } };
  };
  return doc.testsuites;
}

describe('renderCheckJunit', () => {
  it('one testsuite, one testcase per gated check; the failure carries the per-request change', () => {
    const result = checkAgainstBaseline(baseline, split);
    const suites = parseJunit(renderCheckJunit(result));
    const suite = suites.testsuite;
    expect(suite['@_name']).toBe('netprobe check: run <&> "1" against baseline ci/syscalls.json');
    // read, write, epoll-wait, total and the network model; accept, other and errors are small, not gated.
    expect(suite.testcase.map((c) => c['@_name'])).toEqual(['read', 'write', 'epoll-wait', 'total', 'network model']);
    expect([suite['@_tests'], suite['@_failures'], suites['@_tests'], suites['@_failures']]).toEqual(['5', '1', '5', '1']);
    const write = suite.testcase.find((c) => c['@_name'] === 'write')!;
    expect(write['@_classname']).toBe('netprobe.check');
    expect(write.failure!['@_message']).toBe('write 1.00 → 2.00 per request (+100%, limit +10%)');
    expect(write.failure!['#text']).toBe(write.failure!['@_message']);
    expect(suite.testcase.find((c) => c['@_name'] === 'read')!['system-out']).toBe('read 1.00 → 1.00 per request (0%, limit +10%)');
    expect(suite.properties.property).toContainEqual({ '@_name': 'normalisation', '@_value': 'calls per request' });
  });

  it('a passing check has no failures; lost events and a model change are test cases of their own', () => {
    expect(parseJunit(renderCheckJunit(checkAgainstBaseline(baseline, baseline))).testsuite['@_failures']).toBe('0');
    const netpoll: ModelVerdict = { label: 'goroutine-per-connection (netpoll)', confidence: 0.8, evidence: [] };
    const suite = parseJunit(renderCheckJunit(checkAgainstBaseline(baseline, { ...baseline, model: netpoll, lost: 1234 }))).testsuite;
    expect(suite['@_failures']).toBe('2');
    expect(suite.testcase[0]!.failure!['@_message']).toBe('the tracer lost 1,234 events, so every count is too low to judge');
    expect(suite.testcase.at(-1)!.failure!['@_message']).toBe(
      'network model event-loop reactor (epoll) → goroutine-per-connection (netpoll) (pass --allow-model-change if intended)',
    );
  });

  it('names that are not XML stay well-formed', () => {
    const hostile = checkAgainstBaseline({ ...baseline, name: 'a\u0001b]]>' }, { ...split, name: '</testsuite><x a="' });
    expect(parseJunit(renderCheckJunit(hostile)).testsuite['@_name']).toBe('netprobe check: </testsuite><x a=" against baseline a?b]]>');
  });
});

describe('renderCheckAnnotations', () => {
  it('an ::error per failure and a ::warning per small check that grew past its limit, escaped for the runner', () => {
    const result: CheckResult = checkAgainstBaseline(baseline, split);
    expect(renderCheckAnnotations(result)).toBe(
      [
        // The runner turns %25 back into %.
        '::error title=netprobe check%3A write::write 1.00 → 2.00 per request (+100%25, limit +10%25)',
        '::warning title=netprobe check%3A accept::accept 0.0040 → 0.01 per request (+200%25; small: under 1%25 of all calls, not gated)',
        '',
      ].join('\n'),
    );
    expect(renderCheckAnnotations(checkAgainstBaseline(baseline, baseline))).toBe('');
  });

  it('describeCheck names the runs and the top contributors of other', () => {
    const more: CheckMeasurement = { ...baseline, syscalls: tableFromRows([...baseline.syscalls.rows, row('setsockopt', 3000), row('getsockname', 1000)], false) };
    const result = checkAgainstBaseline(baseline, [more, more, { ...more, requests: 2000 }]);
    const other = result.checks.find((c) => c.id === 'other')!;
    expect(describeCheck(other, result)).toBe('other 0.0040 → 4.00 per request (x1,001, limit +10%; median of 3 runs, range 2.00–4.00; grew most: setsockopt +3.00, getsockname +1.00)');
  });
});
