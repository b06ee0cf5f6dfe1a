// ELF64 file bytes -> its function symbols and load segments, to name user-stack addresses after the process
// that ran the code has exited (run/symbolize.ts reads the files; this module only looks at bytes).
//
// Produced by: the linker (gcc/ld, go build); the files are the executables and shared objects a traced
// process had mapped (`r-xp` lines of /proc/<pid>/maps), or their detached debug files
// (/usr/lib/debug/.build-id/<xx>/<rest>.debug, Debian's *-dbg packages).
// Reference: System V gABI, "Object Files" (ELF header, section header, symbol table, program header),
// https://refspecs.linuxfoundation.org/elf/gabi4+/contents.html, and /usr/include/elf.h.
// Real input (gcc 12 -O1 PIE build of fixtures/ground-truth/waits.c, `readelf -s` / `readelf -l`):
//   Symbol table '.symtab':  39: 0000000000001249   139 FUNC    LOCAL  DEFAULT   14 sleeper
//   LOAD  0x0000000000001000 0x0000000000001000 ... R E
//   -> { name: 'sleeper', address: 0x1249, size: 139 }; file offset 0x1290 is vaddr 0x1290, inside sleeper.
// A stripped binary keeps only `.dynsym` (exported functions: libc's `read`, `clock_nanosleep`); a Go binary
// has `.symtab` and is not PIE (its text is linked at 0x401000).
import { NetprobeError } from '../model/errors.js';

/** A function symbol: its link-time virtual address and size in bytes. */
export interface ElfSymbol {
  name: string;
  address: number;
  size: number;
}

/** A PT_LOAD segment: the file bytes [offset, offset + fileSize) are loaded at vaddr. */
export interface ElfLoadSegment {
  offset: number;
  vaddr: number;
  fileSize: number;
}

export interface ElfSymbols {
  /** `executable` (ET_EXEC, linked at fixed addresses) or `shared` (ET_DYN: PIE executables and libraries). */
  kind: 'executable' | 'shared' | 'other';
  segments: ElfLoadSegment[];
  /** Function symbols with a size, sorted by address, one per address (see preferredName). */
  symbols: ElfSymbol[];
  /** Which table they came from: `.symtab` (full), `.dynsym` (exported only: a stripped file) or none. */
  table: '.symtab' | '.dynsym' | 'none';
  /** The GNU build id (hex), which names the detached debug file. */
  buildId?: string;
}

/** Random access to the file: `length` bytes from `offset` (fewer only at the end of the file). */
export type ReadBytes = (offset: number, length: number) => Uint8Array;

const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46];
const ELFCLASS64 = 2;
const ELFDATA2LSB = 1;
const ET_EXEC = 2;
const ET_DYN = 3;
const PT_LOAD = 1;
const PT_NOTE = 4;
const SHT_SYMTAB = 2;
const SHT_NOBITS = 8;
const SHT_DYNSYM = 11;
const SHN_UNDEF = 0;
const PN_XNUM = 0xffff;
const STT_FUNC = 2;
const STT_GNU_IFUNC = 10;
const STB_GLOBAL = 1;
const STB_WEAK = 2;
const NT_GNU_BUILD_ID = 3;
const EHDR_SIZE = 64;
const PHDR_SIZE = 56;
const SHDR_SIZE = 64;
const SYM_SIZE = 24;
/** More symbols than any real binary has (Chromium has about 1.5 million): a corrupt count, not a file to read. */
const MAX_SYMBOLS = 20_000_000;
const MAX_HEADERS = 65_536 * 4;
const MAX_NOTES_BYTES = 1 << 16;

/** True when the first bytes are an ELF64 little-endian header: the only files this reader takes. */
function isElf64LittleEndian(head: Uint8Array): boolean {
  return head.length >= EHDR_SIZE && ELF_MAGIC.every((b, i) => head[i] === b) && head[4] === ELFCLASS64 && head[5] === ELFDATA2LSB;
}

interface Section {
  type: number;
  offset: number;
  size: number;
  link: number;
  entsize: number;
}

/**
 * The function symbols and load segments of an ELF64 little-endian file of `fileSize` bytes; null when the
 * file is not one ("not mine"). `file` names it in errors about a damaged file.
 */
export function readElfSymbols(read: ReadBytes, fileSize: number, file: string): ElfSymbols | null {
  const head = read(0, EHDR_SIZE);
  if (!isElf64LittleEndian(head)) return null;
  const bytes = new Bytes(read, fileSize, file);
  const h = view(head);
  const type = h.getUint16(16, true);
  const phoff = u64(h, 32);
  const shoff = u64(h, 40);
  let phnum = h.getUint16(56, true);
  let shnum = h.getUint16(60, true);
  // Counts too large for the header live in section 0 (gABI "Extended section numbering").
  if (shoff !== 0 && (shnum === 0 || phnum === PN_XNUM)) {
    const s0 = bytes.view(shoff, SHDR_SIZE, 'section header 0');
    if (shnum === 0) shnum = u64(s0, 32);
    if (phnum === PN_XNUM) phnum = s0.getUint32(44, true);
  }
  if (phnum > MAX_HEADERS || shnum > MAX_HEADERS) throw damaged(file, `${phnum} program headers and ${shnum} section headers`);

  const segments: ElfLoadSegment[] = [];
  const notes: { offset: number; size: number }[] = [];
  if (phnum > 0) {
    const ph = bytes.view(phoff, phnum * PHDR_SIZE, 'program headers');
    for (let i = 0; i < phnum; i++) {
      const at = i * PHDR_SIZE;
      const pType = ph.getUint32(at, true);
      if (pType === PT_LOAD) segments.push({ offset: u64(ph, at + 8), vaddr: u64(ph, at + 16), fileSize: u64(ph, at + 32) });
      else if (pType === PT_NOTE) notes.push({ offset: u64(ph, at + 8), size: u64(ph, at + 32) });
    }
  }

  const sections: Section[] = [];
  if (shoff !== 0 && shnum > 0) {
    const sh = bytes.view(shoff, shnum * SHDR_SIZE, 'section headers');
    for (let i = 0; i < shnum; i++) {
      const at = i * SHDR_SIZE;
      sections.push({ type: sh.getUint32(at + 4, true), offset: u64(sh, at + 24), size: u64(sh, at + 32), link: sh.getUint32(at + 40, true), entsize: u64(sh, at + 56) });
    }
  }
  // Tables are found by section type, not by name: the names (.shstrtab) are not needed.
  const symtab = sections.find((s) => s.type === SHT_SYMTAB && s.size > 0);
  const dynsym = sections.find((s) => s.type === SHT_DYNSYM && s.size > 0);
  const chosen = symtab ?? dynsym;
  const symbols = chosen ? functionSymbols(bytes, chosen, sections) : [];
  const buildId = gnuBuildId(bytes, notes);
  return {
    kind: type === ET_EXEC ? 'executable' : type === ET_DYN ? 'shared' : 'other',
    segments,
    symbols,
    table: symtab ? '.symtab' : dynsym ? '.dynsym' : 'none',
    ...(buildId !== undefined ? { buildId } : {}),
  };
}

/** The link-time virtual address of a file offset, through the PT_LOAD segment holding it. */
export function vaddrOfFileOffset(segments: readonly ElfLoadSegment[], offset: number): number | undefined {
  for (const s of segments) if (offset >= s.offset && offset < s.offset + s.fileSize) return offset - s.offset + s.vaddr;
  return undefined;
}

/** The function whose [address, address + size) holds vaddr (binary search over the sorted symbols). */
export function symbolAt(symbols: readonly ElfSymbol[], vaddr: number): ElfSymbol | undefined {
  let lo = 0;
  let hi = symbols.length - 1;
  let last = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (symbols[mid]!.address <= vaddr) {
      last = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  // Symbols may nest (an assembly routine inside a larger one): look back a few for one that covers vaddr.
  for (let i = last; i >= 0 && i > last - 8; i--) {
    const s = symbols[i]!;
    if (vaddr < s.address + s.size) return s;
  }
  return undefined;
}

interface Candidate extends ElfSymbol {
  bind: number;
}

function functionSymbols(bytes: Bytes, table: Section, sections: readonly Section[]): ElfSymbol[] {
  const entsize = table.entsize || SYM_SIZE;
  if (entsize < SYM_SIZE) throw damaged(bytes.file, `symbol entries of ${entsize} bytes`);
  const count = Math.floor(table.size / entsize);
  if (count > MAX_SYMBOLS) throw damaged(bytes.file, `${count} symbols`);
  const strtab = sections[table.link];
  if (!strtab || strtab.type === SHT_NOBITS) throw damaged(bytes.file, `a symbol table whose string table (section ${table.link}) is missing`);
  const strings = bytes.read(strtab.offset, strtab.size, 'string table');
  const syms = bytes.view(table.offset, count * entsize, 'symbol table');
  const decoder = new TextDecoder();
  const byAddress = new Map<number, Candidate>();
  for (let i = 1; i < count; i++) {
    const at = i * entsize;
    const info = syms.getUint8(at + 4);
    const kind = info & 0xf;
    if (kind !== STT_FUNC && kind !== STT_GNU_IFUNC) continue;
    if (syms.getUint16(at + 6, true) === SHN_UNDEF) continue; // imported, defined elsewhere
    const size = u64(syms, at + 16);
    if (size === 0) continue;
    const nameAt = syms.getUint32(at, true);
    if (nameAt >= strings.length) continue;
    let end = nameAt;
    while (end < strings.length && strings[end] !== 0) end++;
    // `pthread_barrier_wait@@GLIBC_2.34`: the symbol version is the linker's business, not the function's name.
    const name = decoder.decode(strings.subarray(nameAt, end)).replace(/(.)@.*$/, '$1');
    const candidate: Candidate = { name, address: u64(syms, at + 8), size, bind: info >> 4 };
    if (candidate.name === '') continue;
    const other = byAddress.get(candidate.address);
    if (!other || preferredName(candidate, other) < 0) byAddress.set(candidate.address, candidate);
  }
  return [...byAddress.values()].sort((a, b) => a.address - b.address).map(({ name, address, size }) => ({ name, address, size }));
}

// One function often has several names (glibc: `read`, `__read`, `__libc_read`, `__GI___libc_read`). Pick the
// one a reader knows: fewest leading underscores, exported before local, then the shortest; ties by code point
// order so that the choice never depends on the order of the table.
function preferredName(a: Candidate, b: Candidate): number {
  const underscores = leadingUnderscores(a.name) - leadingUnderscores(b.name);
  if (underscores !== 0) return underscores;
  const binding = bindRank(a.bind) - bindRank(b.bind);
  if (binding !== 0) return binding;
  if (a.name.length !== b.name.length) return a.name.length - b.name.length;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

function leadingUnderscores(name: string): number {
  let n = 0;
  while (name[n] === '_') n++;
  return n;
}

function bindRank(bind: number): number {
  return bind === STB_GLOBAL ? 0 : bind === STB_WEAK ? 1 : 2;
}

// NT_GNU_BUILD_ID note of a PT_NOTE segment: namesz, descsz, type, "GNU\0", then the id bytes (4-byte aligned).
function gnuBuildId(bytes: Bytes, notes: readonly { offset: number; size: number }[]): string | undefined {
  for (const note of notes) {
    if (note.size > MAX_NOTES_BYTES || note.offset + note.size > bytes.size) continue;
    const data = bytes.read(note.offset, note.size, 'note segment');
    const v = view(data);
    for (let at = 0; at + 12 <= data.length; ) {
      const namesz = v.getUint32(at, true);
      const descsz = v.getUint32(at + 4, true);
      const type = v.getUint32(at + 8, true);
      const nameAt = at + 12;
      const descAt = nameAt + align4(namesz);
      if (descAt + descsz > data.length) break;
      const isGnu = namesz === 4 && data[nameAt] === 0x47 && data[nameAt + 1] === 0x4e && data[nameAt + 2] === 0x55 && data[nameAt + 3] === 0;
      if (isGnu && type === NT_GNU_BUILD_ID && descsz > 0) {
        return [...data.subarray(descAt, descAt + descsz)].map((b) => b.toString(16).padStart(2, '0')).join('');
      }
      at = descAt + align4(descsz);
    }
  }
  return undefined;
}

function align4(n: number): number {
  return (n + 3) & ~3;
}

/** Bounded reads: every table must lie inside the file. */
class Bytes {
  constructor(
    private readonly reader: ReadBytes,
    readonly size: number,
    readonly file: string,
  ) {}

  read(offset: number, length: number, what: string): Uint8Array {
    if (offset < 0 || length < 0 || offset + length > this.size) throw damaged(this.file, `${what} at ${offset} (${length} bytes) beyond its ${this.size} bytes`);
    const data = this.reader(offset, length);
    if (data.length < length) throw damaged(this.file, `${what} cut short: ${data.length} of ${length} bytes`);
    return data;
  }

  view(offset: number, length: number, what: string): DataView {
    return view(this.read(offset, length, what));
  }
}

function view(data: Uint8Array): DataView {
  return new DataView(data.buffer, data.byteOffset, data.byteLength);
}

// Addresses, offsets and sizes of real files are far below 2^53; a value that is not is a damaged field.
function u64(v: DataView, at: number): number {
  const n = v.getBigUint64(at, true);
  return n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : Number.MAX_SAFE_INTEGER;
}

function damaged(file: string, what: string): NetprobeError {
  return new NetprobeError('input', `${file}: not a well-formed ELF file: ${what}`);
}
