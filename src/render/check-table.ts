// A baseline check (src/report/check.ts) as a terminal table, as Markdown for a PR comment, or as JSON.
import { normalisationLabel, normalisationSuffix, type Normalisation } from '../model/normalisation.js';
import { formatAmount, formatCount } from '../model/units.js';
import type { CheckResult, CountCheck, Limit, Verdict } from '../report/check.js';
import { renderTable, terminalColors } from './table.js';

export interface CheckTableOptions {
  color?: boolean;
}


const VERDICT_WORDS: Record<Verdict, string> = { pass: 'ok', fail: 'FAIL', improved: 'better', small: 'small', off: 'off' };

/** The checks as aligned columns, then the model line, the notes and a one-line verdict. */
export function renderCheckTable(result: CheckResult, options: CheckTableOptions = {}): string {
  const c = terminalColors(options.color);
  const paint = (v: Verdict | 'pass' | 'fail' | 'off', text: string) =>
    v === 'fail' ? c.red.bold(text) : v === 'improved' ? c.green(text) : v === 'pass' ? text : c.dim(text);
  const rows = result.checks.map((k) => [
    k.title,
    formatAmount(k.baseline, result.normalisation === 'raw'),
    formatAmount(k.current, result.normalisation === 'raw'),
    formatChange(k),
    formatLimit(k.limit, result.normalisation),
    paint(k.verdict, VERDICT_WORDS[k.verdict]),
  ]);
  const out = [
    `netprobe check: ${result.current.name} against baseline ${result.baseline.name}, ${normalisationLabel(result.normalisation)}`,
    renderTable(['check', 'baseline', 'current', 'change', 'limit', 'verdict'], rows, {
      color: options.color,
      align: ['left', 'right', 'right', 'right', 'right', 'left'],
    }).trimEnd(),
  ];
  const m = result.model;
  const modelVerdict = m.verdict === 'fail' ? 'FAIL (pass --allow-model-change if intended)' : m.verdict === 'off' ? 'not gated' : 'ok';
  const modelText = m.baseline.label === m.current.label ? m.current.label : `${m.baseline.label} -> ${m.current.label}`;
  out.push(`network model: ${modelText}  ${paint(m.verdict, modelVerdict)}`);
  for (const line of legend(result)) out.push(c.dim(line));
  for (const note of result.notes) out.push(c.dim(`note: ${note}`));
  out.push(result.passed ? c.green.bold(passLine(result)) : c.red.bold(failLine(result)));
  return `${out.join('\n')}\n`;
}

/** GitHub-flavoured Markdown for a PR comment or a job summary ($GITHUB_STEP_SUMMARY). */
export function renderCheckMarkdown(result: CheckResult): string {
  const heading = result.passed ? '### ✅ netprobe check passed' : '### ❌ netprobe check found a regression';
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  const code = (s: string) => `\`${s.replace(/`/g, "'")}\``;
  const lines = [
    heading,
    '',
    `${code(result.current.name)} against baseline ${code(result.baseline.name)}, ${normalisationLabel(result.normalisation)}.`,
    '',
    '| check | baseline | current | change | limit | verdict |',
    '| --- | ---: | ---: | ---: | ---: | --- |',
    ...result.checks.map(
      (k) =>
        `| ${esc(k.title)} | ${formatAmount(k.baseline, result.normalisation === 'raw')} | ${formatAmount(k.current, result.normalisation === 'raw')} | ${formatChange(k)} | ${formatLimit(k.limit, result.normalisation)} | ${k.verdict === 'fail' ? '**FAIL**' : VERDICT_WORDS[k.verdict]} |`,
    ),
    '',
  ];
  const m = result.model;
  const modelText = m.baseline.label === m.current.label ? m.current.label : `${m.baseline.label} → ${m.current.label}`;
  lines.push(`Network model: ${modelText} (${m.verdict === 'fail' ? '**FAIL**' : m.verdict === 'off' ? 'not gated' : 'ok'})`);
  const extra = [...legend(result), ...result.notes.map((n) => `Note: ${n}`)];
  if (extra.length > 0) lines.push('', ...extra.map((l) => `- ${l}`));
  lines.push('', result.passed ? passLine(result) : `**${failLine(result)}**`);
  return `${lines.join('\n')}\n`;
}

/** The result as JSON: `passed` decides the exit status; `change` is null where the baseline is 0. */
export function renderCheckJson(result: CheckResult): string {
  return `${JSON.stringify(result, null, 2)}\n`;
}

function legend(result: CheckResult): string[] {
  const out: string[] = [];
  if (result.checks.some((k) => k.limit.kind === 'appearance')) {
    out.push('new only: a timing check (its count follows scheduling); fails only when it grows from under --min-share of all calls to over it (see --max-timing-increase)');
  }
  if (result.checks.some((k) => k.verdict === 'small')) {
    out.push('small: under --min-share of all calls in both runs, not gated (name it in --limit to gate it)');
  }
  if (result.checks.some((k) => k.verdict === 'improved')) {
    out.push('better: dropped by more than the limit; run with --update-baseline to lock the gain in');
  }
  return out;
}

function passLine(result: CheckResult): string {
  const gated = result.checks.filter((k) => k.verdict === 'pass' || k.verdict === 'improved').length;
  return `PASSED: ${gated} check${gated === 1 ? '' : 's'} within limits${result.model.verdict === 'pass' ? ', same network model' : ''}`;
}

function failLine(result: CheckResult): string {
  const n = result.normalisation;
  const failed = result.checks
    .filter((k) => k.verdict === 'fail')
    .map((k) => {
      const values = `${formatAmount(k.baseline, n === 'raw')} -> ${formatAmount(k.current, n === 'raw')}${normalisationSuffix(n)}`;
      return k.limit.kind === 'appearance' ? `${k.title} appeared (${values})` : `${k.title} ${formatChange(k)} (${values}, limit ${formatLimit(k.limit, n)})`;
    });
  if (result.model.verdict === 'fail') failed.push(`network model ${result.model.baseline.label} -> ${result.model.current.label}`);
  if (result.lost) failed.unshift(`the tracer lost ${formatCount(result.lost)} events, so every count is too low to judge`);
  return `FAILED: ${failed.join(', ')}`;
}

function formatChange(k: CountCheck): string {
  if (k.change === null) return k.current === 0 ? '0%' : 'new';
  if (k.change === 0) return '0%';
  // Past +1000% a ratio reads better than a percentage.
  if (k.change >= 10) return `x${formatRatio(k.current / k.baseline)}`;
  const pct = k.change * 100;
  const digits = Math.abs(pct) >= 10 ? 0 : 1;
  return `${pct > 0 ? '+' : ''}${pct.toFixed(digits)}%`;
}

function formatLimit(limit: Limit, normalisation: Normalisation): string {
  if (limit.kind === 'off') return 'off';
  if (limit.kind === 'appearance') return 'new only';
  if (limit.kind === 'relative') return `+${trimNumber(limit.fraction * 100)}%`;
  return `+${trimNumber(limit.amount)}${normalisationSuffix(normalisation)}`;
}


function formatRatio(n: number): string {
  return n >= 100 ? formatCount(Math.round(n)) : n.toFixed(1);
}

function trimNumber(n: number): string {
  return String(Math.round(n * 100) / 100);
}
