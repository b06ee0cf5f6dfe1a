// Format detection from content: detectors are asked in order; the loosest (folded) comes last. A parser module is
// imported only once its format is chosen (loading every parser cost each run ~5 ms); perf script and folded stacks,
// the profiles read most, are imported with this module and their detectors stay with their parsers.
import {
  detectBpftrace,
  detectBpftraceLatency,
  detectBpftraceOffcpu,
  detectPerfTraceSummary,
  detectStraceLog,
  detectStraceSummary,
} from './detectors.js';
import { foldedParser } from './folded.js';
import { perfScriptParser } from './perf-script.js';
import type { InputFormat, TextParser } from './types.js';

/** A format's detector and how to get its parser. */
export interface TextFormat {
  format: InputFormat;
  detect(head: readonly string[]): boolean;
  load(): Promise<TextParser>;
}

const loaded = (parser: TextParser): TextFormat => ({ format: parser.format, detect: parser.detect, load: () => Promise.resolve(parser) });

export const TEXT_FORMATS: readonly TextFormat[] = [
  { format: 'strace-summary', detect: detectStraceSummary, load: async () => (await import('./strace-summary.js')).straceSummaryParser },
  { format: 'perf-trace-summary', detect: detectPerfTraceSummary, load: async () => (await import('./perf-trace-summary.js')).perfTraceSummaryParser },
  // netprobe's own bpftrace outputs before the general bpftrace reader, which would take their maps for counts.
  { format: 'bpftrace-offcpu', detect: detectBpftraceOffcpu, load: async () => (await import('./bpftrace-offcpu.js')).bpftraceOffcpuParser },
  { format: 'bpftrace-latency', detect: detectBpftraceLatency, load: async () => (await import('./bpftrace-latency.js')).bpftraceLatencyParser },
  { format: 'bpftrace', detect: detectBpftrace, load: async () => (await import('./bpftrace.js')).bpftraceParser },
  loaded(perfScriptParser),
  { format: 'strace-log', detect: detectStraceLog, load: async () => (await import('./strace-log.js')).straceLogParser },
  loaded(foldedParser),
];

/** The format whose detector accepts these first lines, or null. */
export function detectTextFormat(head: readonly string[]): TextFormat | null {
  for (const format of TEXT_FORMATS) {
    try {
      if (format.detect(head)) return format;
    } catch {
      // A detector must not throw; treat it as "not mine".
    }
  }
  return null;
}

/** The parser of a text format, imported when first asked for. */
export async function parserFor(format: InputFormat): Promise<TextParser | undefined> {
  return TEXT_FORMATS.find((f) => f.format === format)?.load();
}

export const FORMAT_NAMES =
  'a strace -c table, a strace log, perf script output, perf trace -s output, bpftrace output, folded stacks or a pprof profile';
