// A baseline check (src/report/check.ts) as a terminal table, as Markdown for a PR comment, as JSON, and as
// GitHub workflow commands (annotations). Every failure reads the same everywhere (describeCheck):
// `write 1.00 → 2.00 per request (+100%, limit +10%)`, named by the check id `--limit` takes.
import { normalisationLabel, normalisationSuffix, type Normalisation } from '../model/normalisation.js';
import { formatAmount, formatCount, formatShare } from '../model/units.js';
import type { CheckResult, CountCheck, Limit, Verdict } from '../report/check.js';
import { markdownCell } from './escape.js';
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
  const raw = result.normalisation === 'raw';
  const ranged = result.runs.current > 1;
  const rows = result.checks.map((k) => [
    rowTitle(k),
    formatAmount(k.baseline, raw),
    formatAmount(k.current, raw),
    ...(ranged ? [formatRange(k, raw)] : []),
    formatChange(k),
    formatLimit(k.limit, result.normalisation),
    paint(k.verdict, VERDICT_WORDS[k.verdict]),
  ]);
  const out = [
    `netprobe check: ${result.current.name} against baseline ${result.baseline.name}, ${normalisationLabel(result.normalisation)}${runsWords(result)}`,
    renderTable(['check', 'baseline', 'current', ...(ranged ? ['range'] : []), 'change', 'limit', 'verdict'], rows, {
      color: options.color,
      align: ['left', 'right', 'right', ...(ranged ? (['right'] as const) : []), 'right', 'right', 'left'],
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
  const esc = markdownCell;
  const code = (s: string) => `\`${s.replace(/`/g, "'")}\``;
  const raw = result.normalisation === 'raw';
  const ranged = result.runs.current > 1;
  const lines = [
    heading,
    '',
    `${code(result.current.name)} against baseline ${code(result.baseline.name)}, ${normalisationLabel(result.normalisation)}${runsWords(result)}.`,
    '',
    `| check | baseline | current |${ranged ? ' range |' : ''} change | limit | verdict |`,
    `| --- | ---: | ---: |${ranged ? ' ---: |' : ''} ---: | ---: | --- |`,
    ...result.checks.map(
      (k) =>
        `| ${esc(rowTitle(k))} | ${formatAmount(k.baseline, raw)} | ${formatAmount(k.current, raw)} |${ranged ? ` ${formatRange(k, raw)} |` : ''} ${formatChange(k)} | ${formatLimit(k.limit, result.normalisation)} | ${k.verdict === 'fail' ? '**FAIL**' : VERDICT_WORDS[k.verdict]} |`,
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

/**
 * GitHub Actions workflow commands: an `::error` for every failure (so it shows as an annotation on the run and
 * the PR) and a `::warning` for a small check that grew beyond its kind's limit. Empty when there are none.
 */
export function renderCheckAnnotations(result: CheckResult): string {
  const out: string[] = [];
  const command = (level: 'error' | 'warning', title: string, message: string) =>
    out.push(`::${level} title=${escapeProperty(`netprobe check: ${title}`)}::${escapeData(message)}`);
  if (result.lost) command('error', 'lost events', lostWords(result.lost));
  for (const k of result.checks) {
    if (k.verdict === 'fail') command('error', k.id, describeCheck(k, result));
    else if (k.grown) command('warning', k.id, describeCheck(k, result));
  }
  if (result.model.verdict === 'fail') command('error', 'network model', modelWords(result));
  return out.length > 0 ? `${out.join('\n')}\n` : '';
}

/**
 * One check in words a reader can act on, the same in the verdict line, JUnit, Markdown and annotations:
 * `write 1.00 → 2.00 per request (+100%, limit +10%)`; with several runs their range; for `other`, the
 * syscalls that grew most.
 */
export function describeCheck(k: CountCheck, result: CheckResult): string {
  const n = result.normalisation;
  const raw = n === 'raw';
  const unit = { 'per-request': ' per request', 'per-second': ' per second', raw: ' calls' }[n];
  const share = formatShare(result.minShare);
  const why: string[] = [];
  if (k.verdict === 'small') why.push(`${formatChange(k)}; small: under ${share} of all calls, not gated`);
  else if (k.limit.kind === 'appearance' && k.verdict === 'fail') why.push(`appeared: grew by over ${formatShare(result.minAppearance)} of all calls, from under ${share}`);
  else why.push(`${formatChange(k)}, limit ${formatLimit(k.limit, n)}`);
  if (k.currentRange) why.push(`median of ${result.runs.current} runs, range ${formatAmount(k.currentRange.min, raw)}–${formatAmount(k.currentRange.max, raw)}`);
  if (k.contributors && k.contributors.length > 0) why.push(`grew most: ${contributorWords(k, raw)}`);
  return `${k.id} ${formatAmount(k.baseline, raw)} → ${formatAmount(k.current, raw)}${unit} (${why.join('; ')})`;
}

// `other syscalls (close +1.00, setsockopt +1.00)`: which syscalls a grown `other` row is made of.
function rowTitle(k: CountCheck): string {
  if (!k.contributors || k.contributors.length === 0 || !(k.verdict === 'fail' || k.grown)) return k.title;
  return `${k.title} (${contributorWords(k, false)})`;
}

function contributorWords(k: CountCheck, raw: boolean): string {
  return (k.contributors ?? []).map((c) => `${c.name} +${formatAmount(c.current - c.baseline, raw)}`).join(', ');
}

function formatRange(k: CountCheck, raw: boolean): string {
  return k.currentRange ? `${formatAmount(k.currentRange.min, raw)}–${formatAmount(k.currentRange.max, raw)}` : '';
}

function runsWords(result: CheckResult): string {
  const { baseline, current } = result.runs;
  const parts = [...(current > 1 ? [`median of ${current} runs`] : []), ...(baseline > 1 ? [`baseline the median of ${baseline} runs`] : [])];
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
}

function lostWords(lost: number): string {
  return `the tracer lost ${formatCount(lost)} events, so every count is too low to judge`;
}

function modelWords(result: CheckResult): string {
  return `network model ${result.model.baseline.label} → ${result.model.current.label} (pass --allow-model-change if intended)`;
}

// https://github.com/actions/toolkit/blob/main/packages/core/src/command.ts (escapeData, escapeProperty)
function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/** The result as JSON: `passed` decides the exit status; `change` is null where the baseline is 0. */
export function renderCheckJson(result: CheckResult): string {
  return `${JSON.stringify(result, null, 2)}\n`;
}

function legend(result: CheckResult): string[] {
  const out: string[] = [];
  if (result.checks.some((k) => k.limit.kind === 'appearance')) {
    out.push('new only: a timing check (its count follows scheduling); fails only when it appears: from under --min-share of all calls, grown by --min-appearance of all calls (see --max-timing-increase)');
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
  const failed = result.checks.filter((k) => k.verdict === 'fail').map((k) => describeCheck(k, result));
  if (result.model.verdict === 'fail') failed.push(`network model ${result.model.baseline.label} → ${result.model.current.label}`);
  if (result.lost) failed.unshift(lostWords(result.lost));
  return `FAILED: ${failed.join('; ')}`;
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
