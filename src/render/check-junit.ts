// A baseline check (src/report/check.ts) as JUnit XML, the test report GitLab, Jenkins, Buildkite and GitHub's
// test-report actions read: one testsuite, one testcase per gated check (the network model and lost events
// included), and each failure's message in the words of the verdict line.
// Reference: https://github.com/testmoapp/junitxml (the common subset of the JUnit XML format)
//   <testsuites name="netprobe check" tests="9" failures="1">
//     <testsuite name="netprobe check: run against baseline ci/syscalls.json" tests="9" failures="1" ...>
//       <testcase classname="netprobe.check" name="write"><failure message="write 1.00 → 2.00 per request (+100%, limit +10%)" .../></testcase>
import { normalisationLabel } from '../model/normalisation.js';
import { formatCount } from '../model/units.js';
import type { CheckResult } from '../report/check.js';
import { describeCheck } from './check-table.js';

interface TestCase {
  name: string;
  /** The failure message; undefined when the case passed. */
  failure?: string;
  /** What was compared, for the reader of a passing case. */
  detail: string;
}

/** The check as a JUnit XML document; checks that are not gated (small, off) are not test cases. */
export function renderCheckJunit(result: CheckResult): string {
  const cases: TestCase[] = [];
  if (result.lost) {
    cases.push({ name: 'lost events', failure: `the tracer lost ${formatCount(result.lost)} events, so every count is too low to judge`, detail: '' });
  }
  for (const k of result.checks) {
    if (k.verdict === 'small' || k.verdict === 'off') continue;
    const words = describeCheck(k, result);
    cases.push({ name: k.id, ...(k.verdict === 'fail' ? { failure: words } : {}), detail: words });
  }
  const m = result.model;
  if (m.verdict !== 'off') {
    const words = m.baseline.label === m.current.label ? `network model ${m.current.label}` : `network model ${m.baseline.label} → ${m.current.label}`;
    cases.push({ name: 'network model', ...(m.verdict === 'fail' ? { failure: `${words} (pass --allow-model-change if intended)` } : {}), detail: words });
  }
  const failures = cases.filter((c) => c.failure !== undefined).length;
  const suite = `netprobe check: ${result.current.name} against baseline ${result.baseline.name}`;
  const counts = `tests="${cases.length}" failures="${failures}" errors="0" skipped="0"`;
  const properties = [
    ['normalisation', normalisationLabel(result.normalisation)],
    ['runs', String(result.runs.current)],
    ['baseline runs', String(result.runs.baseline)],
    ...result.notes.map((n) => ['note', n]),
  ];
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="netprobe check" ${counts}>`,
    `  <testsuite name="${attr(suite)}" ${counts}>`,
    '    <properties>',
    ...properties.map(([name, value]) => `      <property name="${attr(name!)}" value="${attr(value!)}"/>`),
    '    </properties>',
  ];
  for (const c of cases) {
    const open = `    <testcase classname="netprobe.check" name="${attr(c.name)}" time="0"`;
    if (c.failure === undefined) {
      lines.push(`${open}>`, `      <system-out>${text(c.detail)}</system-out>`, '    </testcase>');
    } else {
      lines.push(`${open}>`, `      <failure message="${attr(c.failure)}" type="regression">${text(c.failure)}</failure>`, '    </testcase>');
    }
  }
  lines.push('  </testsuite>', '</testsuites>', '');
  return lines.join('\n');
}

// XML 1.0 allows tab, newline and carriage return among the control characters; run names may hold anything.
// eslint-disable-next-line no-control-regex
const NOT_XML = /[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]/g;

function text(s: string): string {
  return s.replace(NOT_XML, '?').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function attr(s: string): string {
  return text(s).replace(/"/g, '&quot;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;').replace(/\t/g, '&#9;');
}
