// The detectors of the formats tried before perf script (and strace logs, tried after it), apart from their
// parsers: detection runs them on every text input, and importing every parser to reach its detector cost each
// run ~5 ms of module loading (parse/detect.ts imports a parser only once its format is chosen). Each parser
// module exports the detector found here as its own `detect`, and shares the patterns it also parses with.
import { isTraceEvent } from './strace-line.js';
import { headerTitles, TITLES } from './strace-table.js';

/** `perf trace -s`: the line opening the summary and the column titles of each thread's table. */
export const PERF_TRACE_SUMMARY_TITLE = /^ Summary of events:\s*$/;
export const PERF_TRACE_SYSCALL_TITLES = /^\s+syscall\s+calls\b/;
/** The opening line of an off-CPU map entry of netprobe's bpftrace script. */
export const OFFCPU_MAP_OPEN = /^@(offns|offn)\[$/;
/** A bpftrace map line, as the latency reader reads it. */
export const LATENCY_MAP_LINE = /^(@\w*)(?:\[([^\]]*)\])?: ?(.*)$/;
export const BPFTRACE_ATTACHING = /^Attaching \d+ probes?\.\.\.\s*$/;

export function detectStraceSummary(head: readonly string[]): boolean {
  let traceEvents = 0;
  for (let i = 1; i < head.length; i++) {
    const titles = headerTitles(head[i - 1]!, head[i]!);
    // strace -C puts the table after the log; such a file is a log (it has per-errno details).
    if (titles) return traceEvents < 3 && titles.some((t) => t !== 'syscall' && t in TITLES);
    if (isTraceEvent(head[i - 1]!)) traceEvents++;
  }
  return false;
}

export function detectPerfTraceSummary(head: readonly string[]): boolean {
  return head.some((line) => PERF_TRACE_SUMMARY_TITLE.test(line)) && head.some((line) => PERF_TRACE_SYSCALL_TITLES.test(line));
}

export function detectBpftraceOffcpu(head: readonly string[]): boolean {
  return head.some((line) => OFFCPU_MAP_OPEN.test(line));
}

// Every map in the head is @lat or @latmax: one-liners that mix other maps (e.g. `@lat[nr] = lhist(...)` beside
// counts) are the plain bpftrace format's, and so is the ready line alone (the scripts share it).
export function detectBpftraceLatency(head: readonly string[]): boolean {
  let latency = false;
  for (const line of head) {
    const map = LATENCY_MAP_LINE.exec(line);
    if (!map) continue;
    if (map[1] !== '@lat' && map[1] !== '@latmax') return false;
    latency = true;
  }
  return latency;
}

export function detectBpftrace(head: readonly string[]): boolean {
  return head.some(
    (line) =>
      BPFTRACE_ATTACHING.test(line) ||
      /^@\w*(\[.*\])?: -?\d+\s*$/.test(line) ||
      /^@\w*\[$/.test(line) ||
      /^\{"type": ?"(attached_probes|map|hist|stats|printf)"/.test(line),
  );
}

const STRACE_LOG_DETECT_LINES = 50;

export function detectStraceLog(head: readonly string[]): boolean {
  let events = 0;
  let others = 0;
  let meaningful = 0;
  for (const line of head) {
    if (line.trim() === '' || line.startsWith(' > ') || line.startsWith('strace: ') || line.startsWith('[ Process PID=')) continue;
    if (meaningful++ >= STRACE_LOG_DETECT_LINES) break;
    if (isTraceEvent(line)) events++;
    else others++;
  }
  // Tracee output interleaves on stderr, so a few foreign lines are fine; a majority is not.
  return events > 0 && events >= others;
}
