// netprobe's off-CPU bpftrace output (src/capture/bpftrace-offcpu-script.ts) -> a profile of blocked time.
//
// Produced by: `netprobe trace --offcpu` (raw/offcpu-bpftrace.txt), bpftrace 0.17. Real input
// (fixtures/bpftrace/offcpu-go-nethttp.txt):
//   @offns[
//   	4667e0 runtime.epollwait.abi0+32 (/srv/go-nethttp)       user stack, leaf first
//   	43ccc5 runtime.findRunnable+1701 (/srv/go-nethttp)
//   ,
//   	ffffffff821f8b58 __schedule+1560                          kernel stack, leaf first
//   	ffffffff81731b4a __x64_sys_epoll_pwait+122
//   , 24850]: 1843211                                         thread id, nanoseconds blocked
//   @offn[ ...same key... ]: 12                               times blocked
// -> one stack per (user stack, kernel stack, thread), root first: user frames, then kernel frames,
//    values [events, offcpu nanoseconds], label thread=<tid>. The folded output is flamegraph.pl's
//    `--countname=ns` input.
import { ParseError } from '../model/errors.js';
import { OFFCPU_SAMPLE_TYPES, ProfileBuilder, type Frame } from '../model/profile.js';
import { COUNT_EXPECTED, isCount } from './counts.js';
import { NETPROBE_READY_PREFIX } from './bpftrace-markers.js';
import { detectBpftraceOffcpu, OFFCPU_MAP_OPEN as MAP_OPEN } from './detectors.js';
import type { ParseContext, ParseResult, TextParser } from './types.js';

const KEY_END = /^, (\d+)\]: (\d+)\s*$/;
const STACK_SEPARATOR = /^,\s*$/;
// `\t4667e0 runtime.epollwait.abi0+32 (/srv/app)`, `\tffffffff821f8b58 __schedule+1560`, `\tc00006a598 0xc00006a598 ([unknown])`.
const FRAME = /^\s+([0-9a-f]+) (\S.*?)(?: \((.*)\))?\s*$/;

export const bpftraceOffcpuParser: TextParser = {
  format: 'bpftrace-offcpu',
  detect: detectBpftraceOffcpu,
  parse: parseOffcpu,
};

interface Entry {
  user: Frame[];
  kernel: Frame[];
  tid: number;
  events: number;
  ns: number;
}

async function parseOffcpu(lines: AsyncIterable<string>, ctx: ParseContext): Promise<ParseResult> {
  const entries = new Map<string, Entry>();
  let map: 'offns' | 'offn' | undefined;
  let user: Frame[] = [];
  let kernel: Frame[] = [];
  let inKernel = false;
  let keyText = '';
  let lineNo = 0;
  let seen = false;
  let ready = false;
  for await (const line of lines) {
    lineNo++;
    if (map === undefined) {
      if (line.startsWith(NETPROBE_READY_PREFIX)) ready = true;
      const open = MAP_OPEN.exec(line);
      if (open) {
        map = open[1] as 'offns' | 'offn';
        user = [];
        kernel = [];
        inKernel = false;
        keyText = '';
        seen = true;
      }
      continue;
    }
    const end = KEY_END.exec(line);
    if (end) {
      const tid = Number(end[1]);
      const value = Number(end[2]);
      if (!isCount(value)) throw new ParseError(ctx.file, lineNo, COUNT_EXPECTED, line);
      const key = `${keyText}\u0000${tid}`;
      let e = entries.get(key);
      if (!e) entries.set(key, (e = { user, kernel, tid, events: 0, ns: 0 }));
      if (map === 'offns') e.ns += value;
      else e.events += value;
      map = undefined;
      continue;
    }
    if (STACK_SEPARATOR.test(line) && !inKernel) {
      inKernel = true;
      keyText += '\u0001';
      continue;
    }
    const frame = FRAME.exec(line);
    if (!frame) throw new ParseError(ctx.file, lineNo, 'a stack frame, `,` or `, <tid>]: <value>` inside an @offns/@offn key', line);
    keyText += `${line.trim()}\n`;
    (inKernel ? kernel : user).push(frameOf(frame, inKernel));
  }
  if (map !== undefined) throw new ParseError(ctx.file, lineNo, 'the end of the @' + map + ' entry (`, <tid>]: <value>`)', '<end of file>');
  // netprobe's script prints its ready line first: without maps after it, no traced thread ever blocked.
  if (!seen && !ready) throw new ParseError(ctx.file, 1, 'netprobe off-CPU bpftrace output (@offns/@offn maps)', '<no @offns map>');

  const builder = new ProfileBuilder(OFFCPU_SAMPLE_TYPES, 1);
  for (const e of entries.values()) {
    // bpftrace prints leaf first; profiles are root first: user code above, the kernel's blocking path below.
    const frames = [...e.user].reverse().concat([...e.kernel].reverse());
    builder.addStack(frames.map((f) => builder.frameId(f)), [e.events, e.ns], { thread: e.tid });
  }
  return { format: 'bpftrace-offcpu', profile: builder.build() };
}

function frameOf(m: RegExpExecArray, kernel: boolean): Frame {
  const address = Number.parseInt(m[1]!, 16);
  const symbol = m[2]!;
  const module = m[3];
  const name = /^0x[0-9a-f]+$/.test(symbol) ? '[unknown]' : symbol.replace(/\+\d+$/, '');
  const frame: Frame = { name, kind: kernel ? 'kernel' : 'user', address };
  if (module && module !== '[unknown]') frame.module = module;
  return frame;
}
