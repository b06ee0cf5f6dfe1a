// Names the user-stack frames a tracer printed as bare addresses (`7f43... 0x7f43... ([unknown])`): bpftrace
// resolves symbols only when it prints, and a target that exited by itself is gone by then. capture/ recorded
// the target's executable mappings while it ran (capture/mappings.ts); here an address becomes a function:
//   address -> the mapping holding it -> file offset (address - start + mapping offset)
//           -> link-time address through the file's PT_LOAD segments (offset - p_offset + p_vaddr)
//           -> the function symbol covering it (.symtab, else the detached debug file's, else .dynsym).
// Callers' frames are return addresses (the instruction after the call), so they are looked up one byte
// earlier: a call that ends its function (to a noreturn function) would otherwise name the next one.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { ProcessMappings, ExecutableMapping } from '../capture/mappings.js';
import { ProfileBuilder, type Frame, type Profile } from '../model/profile.js';
import { readElfSymbols, symbolAt, vaddrOfFileOffset, type ElfLoadSegment, type ElfSymbol } from '../parse/elf-symbols.js';

/** Where distributions put detached debug files, by GNU build id (Debian/Ubuntu *-dbg and -dbgsym packages, Fedora debuginfo). */
const DEBUG_BY_BUILD_ID = '/usr/lib/debug/.build-id';

interface LoadedElf {
  segments: ElfLoadSegment[];
  symbols: ElfSymbol[];
}

type Miss = 'no mapping' | 'no symbol' | 'unreadable file';

type Lookup = { frame: Frame } | { miss: Miss };

/** Names unnamed user frames of the profiles of one capture; reads each ELF file once for all of them. */
export class Symbolizer {
  /** Capture notes: per profile, how many frames were named and how many stay `[unknown]`, and why. */
  readonly notes: string[] = [];
  private readonly byThread = new Map<number, ProcessMappings>();
  private readonly files = new Map<string, LoadedElf | undefined>();

  constructor(private readonly processes: readonly ProcessMappings[]) {
    for (const p of processes) {
      this.byThread.set(p.pid, p);
      for (const t of p.threads) if (!this.byThread.has(t)) this.byThread.set(t, p);
    }
  }

  /** The profile with its unnamed user frames named where the recorded mappings allow; `what` names it in the note. */
  resolve(profile: Profile, what: string): Profile {
    if (!profile.frames.some(unnamed)) return profile;
    if (this.processes.length === 0) {
      // A whole-run program that ended before netprobe's first read of its mappings (a few milliseconds on a busy
      // machine): said, so that addresses do not look like all there was to know.
      const left = profile.frames.filter(unnamed).length;
      this.notes.push(`${what}: ${left} user frame${left === 1 ? '' : 's'} the tracer left unnamed stay unnamed: the target ended before netprobe could read its mappings`);
      return profile;
    }
    const builder = new ProfileBuilder(profile.sampleTypes, profile.defaultSampleType);
    const outcome = new Map<number, Miss | 'named'>();
    const stacks = profile.stacks;
    for (let s = 0; s < stacks.count; s++) {
      const stack = stacks.at(s);
      const thread = stack.labels?.thread;
      const own = thread !== undefined ? this.byThread.get(Number(thread)) : undefined;
      // Without a thread (syscall stacks are keyed by stack alone) or for an unseen one: every process, target first.
      const candidates = own ? [own] : this.processes;
      const leaf = lastUserFrame(stack.frames.map((id) => profile.frames[id]!));
      const ids = stack.frames.map((id, i) => {
        const frame = profile.frames[id]!;
        if (!unnamed(frame)) return builder.frameId(frame);
        const found = this.lookup(frame, i === leaf, candidates);
        if ('frame' in found) outcome.set(id, 'named');
        else if (outcome.get(id) !== 'named') outcome.set(id, found.miss);
        return builder.frameId('frame' in found ? found.frame : frame);
      });
      builder.addStack(ids, stack.values, stack.labels ? { ...stack.labels } : undefined);
    }
    // Addresses outside every mapping are broken frame-pointer chains (Go's stack switches, libc without frame
    // pointers), not code anyone could name: when nothing else happened, that is no news.
    const outcomes = [...outcome.values()];
    if (outcomes.some((o) => o !== 'no mapping')) this.notes.push(summary(what, outcomes));
    const { period, durationNanos, timeNanos, comments } = profile;
    return builder.build({ ...(period ? { period } : {}), ...(durationNanos !== undefined ? { durationNanos } : {}), ...(timeNanos !== undefined ? { timeNanos } : {}), ...(comments ? { comments } : {}) });
  }

  private lookup(frame: Frame, leaf: boolean, processes: readonly ProcessMappings[]): Lookup {
    const address = frame.address ?? Number.parseInt(frame.name.slice(2), 16);
    const at = leaf ? address : address - 1;
    for (const p of processes) {
      const mapping = p.mappings.find((m) => at >= m.start && at < m.end);
      if (!mapping) continue;
      // The first process that had the address mapped decides: another's mapping there is another program's.
      const elf = this.elf(mapping);
      if (!elf) return { miss: 'unreadable file' };
      const vaddr = vaddrOfFileOffset(elf.segments, at - mapping.start + mapping.offset);
      const symbol = vaddr === undefined ? undefined : symbolAt(elf.symbols, vaddr);
      if (!symbol) return { miss: 'no symbol' };
      return { frame: { ...frame, name: symbol.name, module: mapping.path, address } };
    }
    return { miss: 'no mapping' };
  }

  private elf(mapping: ExecutableMapping): LoadedElf | undefined {
    const key = `${mapping.path}\u0000${mapping.inode}`;
    if (!this.files.has(key)) this.files.set(key, loadElf(mapping.path, mapping.inode));
    return this.files.get(key);
  }
}

// Unnamed: what the bpftrace parsers make of `0x7f43... ([unknown])` (offcpu: `[unknown]`; syscall stacks: the hex text).
function unnamed(frame: Frame): boolean {
  if (frame.kind !== 'user' && frame.kind !== undefined) return false;
  if (frame.name === '[unknown]') return frame.address !== undefined;
  return /^0x[0-9a-f]+$/.test(frame.name);
}

/** Index of the innermost user frame (root-first stacks: user frames, then kernel or syscall frames). */
function lastUserFrame(frames: readonly Frame[]): number {
  for (let i = frames.length - 1; i >= 0; i--) if (frames[i]!.kind === 'user' || frames[i]!.kind === undefined) return i;
  return -1;
}

/** The file's symbols, or undefined when it is unreadable, not ELF64, or not the file that was mapped (replaced since). */
function loadElf(path: string, inode: number): LoadedElf | undefined {
  const main = readElfFile(path, inode);
  if (!main) return undefined;
  if (main.table === '.symtab' || main.buildId === undefined) return { segments: main.segments, symbols: main.symbols };
  // A stripped file (libc keeps only its exported .dynsym) may have its full symbol table in a debug file.
  const debug = readElfFile(`${DEBUG_BY_BUILD_ID}/${main.buildId.slice(0, 2)}/${main.buildId.slice(2)}.debug`);
  const useDebug = debug && debug.table === '.symtab' && debug.buildId === main.buildId;
  return { segments: main.segments, symbols: useDebug ? debug.symbols : main.symbols };
}

function readElfFile(path: string, inode?: number): ReturnType<typeof readElfSymbols> | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const stat = fstatSync(fd);
    if (inode !== undefined && stat.ino !== inode) return undefined;
    const file = fd;
    const read = (offset: number, length: number): Uint8Array => {
      const buffer = Buffer.alloc(length);
      let done = 0;
      while (done < length) {
        const n = readSync(file, buffer, done, length - done, offset + done);
        if (n === 0) break;
        done += n;
      }
      return buffer.subarray(0, done);
    };
    return readElfSymbols(read, stat.size, path) ?? undefined;
  } catch {
    // Unreadable, vanished or damaged: its frames stay unnamed and the note counts them.
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function summary(what: string, outcomes: readonly (Miss | 'named')[]): string {
  const named = outcomes.filter((o) => o === 'named').length;
  const stayed = outcomes.length - named;
  const head = `${what}: named ${named} of ${outcomes.length} user frames the tracer left unnamed, from the mappings recorded while the target ran`;
  if (stayed === 0) return head;
  const reasons = (['no mapping', 'no symbol', 'unreadable file'] as const)
    .map((miss) => [miss, outcomes.filter((o) => o === miss).length] as const)
    .filter(([, n]) => n > 0)
    .map(([miss, n]) => `${n} ${REASON[miss]}`);
  return `${head}; ${stayed} ${stayed === 1 ? 'stays' : 'stay'} [unknown] (${reasons.join(', ')})`;
}

const REASON: Record<Miss, string> = {
  'no mapping': 'outside every recorded mapping',
  'no symbol': 'inside no function symbol',
  'unreadable file': 'in a file unreadable or replaced since',
};
