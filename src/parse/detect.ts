// Format detection from content: parsers are asked in order; the loosest detector (folded) comes last.
import { bpftraceLatencyParser } from './bpftrace-latency.js';
import { bpftraceParser } from './bpftrace.js';
import { bpftraceOffcpuParser } from './bpftrace-offcpu.js';
import { foldedParser } from './folded.js';
import { perfScriptParser } from './perf-script.js';
import { perfTraceSummaryParser } from './perf-trace-summary.js';
import { straceLogParser } from './strace-log.js';
import { straceSummaryParser } from './strace-summary.js';
import type { InputFormat, TextParser } from './types.js';

export const TEXT_PARSERS: readonly TextParser[] = [
  straceSummaryParser,
  perfTraceSummaryParser,
  // netprobe's own bpftrace outputs before the general bpftrace reader, which would take their maps for counts.
  bpftraceOffcpuParser,
  bpftraceLatencyParser,
  bpftraceParser,
  perfScriptParser,
  straceLogParser,
  foldedParser,
];

/** The parser whose detector accepts these first lines, or null. */
export function detectTextFormat(head: readonly string[]): TextParser | null {
  for (const parser of TEXT_PARSERS) {
    try {
      if (parser.detect(head)) return parser;
    } catch {
      // A detector must not throw; treat it as "not mine".
    }
  }
  return null;
}

export function parserFor(format: InputFormat): TextParser | undefined {
  return TEXT_PARSERS.find((p) => p.format === format);
}

export const FORMAT_NAMES =
  'a strace -c table, a strace log, perf script output, perf trace -s output, bpftrace output, folded stacks or a pprof profile';
