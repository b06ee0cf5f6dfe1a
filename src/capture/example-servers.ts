// The bundled example servers (fixtures/servers/), one per network model, and their builder: compiled
// into a cache outside the repository, rebuilt only when their sources or the compiler change.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { NetprobeError } from '../model/errors.js';
import type { ModelLabel } from '../model/run.js';

const run = promisify(execFile);

export type ServerLanguage = 'go' | 'c' | 'node';

export interface ExampleServer {
  id: string;
  title: string;
  /** The network model this server is written in; what `demo` expects the classifier to find. */
  expectedModel: ModelLabel;
  language: ServerLanguage;
  /** Directory under fixtures/servers/. */
  sourceDir: string;
  /** Go: the package to build inside sourceDir; C: the source file; Node: the script. */
  entry: string;
}

export const EXAMPLE_SERVERS: readonly ExampleServer[] = [
  {
    id: 'go-nethttp',
    title: 'Go net/http',
    expectedModel: 'goroutine-per-connection (netpoll)',
    language: 'go',
    sourceDir: 'go-nethttp',
    entry: '.',
  },
  {
    id: 'go-reactor',
    title: 'Go epoll reactor (one loop)',
    expectedModel: 'event-loop reactor (epoll)',
    language: 'go',
    sourceDir: 'go-reactor',
    entry: './cmd/go-reactor',
  },
  {
    id: 'go-reactor-multi',
    title: 'Go epoll multi-reactor (loop per core, SO_REUSEPORT)',
    expectedModel: 'event-loop reactor (epoll)',
    language: 'go',
    sourceDir: 'go-reactor',
    entry: './cmd/go-reactor-multi',
  },
  {
    id: 'c-threads',
    title: 'C thread per connection (blocking)',
    expectedModel: 'thread-per-connection (blocking)',
    language: 'c',
    sourceDir: 'c-threads',
    entry: 'server.c',
  },
  {
    id: 'c-epoll',
    title: 'C epoll reactor',
    expectedModel: 'event-loop reactor (epoll)',
    language: 'c',
    sourceDir: 'c-epoll',
    entry: 'server.c',
  },
  {
    id: 'c-poll',
    title: 'C poll() loop',
    expectedModel: 'poll/select loop',
    language: 'c',
    sourceDir: 'c-poll',
    entry: 'server.c',
  },
  {
    id: 'node-http',
    title: 'Node.js http (libuv)',
    expectedModel: 'event-loop reactor (epoll)',
    language: 'node',
    sourceDir: 'node-http',
    entry: 'server.mjs',
  },
];

export interface BuiltServer {
  id: string;
  title: string;
  expectedModel: ModelLabel;
  /**
   * argv to start it, without the port: append the port as the last argument (0 = any free port). Every
   * server prints `listening on 127.0.0.1:PORT` on stdout once it accepts connections.
   */
  command: string[];
}

export interface SkippedServer {
  id: string;
  reason: string;
  /** The command that makes it buildable. */
  fix: string;
}

export interface BuildProgress {
  id: string;
  state: 'cached' | 'building' | 'built' | 'skipped';
  message?: string;
}

export interface BuildOptions {
  /** Where binaries go (default `$XDG_CACHE_HOME/netprobe/servers`, else `~/.cache/netprobe/servers`). */
  cacheDir?: string;
  onProgress?: (p: BuildProgress) => void;
  /** Build only these ids (default: all). */
  only?: string[];
  /** Aborting kills a running compiler and builds nothing more (Ctrl-C during `demo`). */
  signal?: AbortSignal;
}

/** fixtures/servers/ of this package, from src/capture/ or dist/capture/ alike. */
export const SERVERS_DIR = fileURLToPath(new URL('../../fixtures/servers/', import.meta.url));

interface Toolchain {
  /** Version text, part of the cache key so a compiler upgrade rebuilds. */
  version: string;
}

const FIXES: Record<Exclude<ServerLanguage, 'node'>, { tool: string; fix: string }> = {
  go: { tool: 'go', fix: 'apt-get install golang-go' },
  c: { tool: 'gcc', fix: 'apt-get install gcc' },
};

/** Builds (or finds cached) every example server whose compiler is present; says why others were skipped. */
export async function buildExampleServers(
  opts: BuildOptions = {},
): Promise<{ built: BuiltServer[]; skipped: SkippedServer[] }> {
  const servers = selectServers(opts.only);
  const cacheDir = opts.cacheDir ?? defaultCacheDir();
  const toolchains = new Map<ServerLanguage, Toolchain | Error>();
  const built: BuiltServer[] = [];
  const skipped: SkippedServer[] = [];
  for (const server of servers) {
    if (opts.signal?.aborted) break;
    const report = (state: BuildProgress['state'], message?: string) => opts.onProgress?.({ id: server.id, state, message });
    if (server.language === 'node') {
      built.push(toBuiltServer(server, [process.execPath, join(SERVERS_DIR, server.sourceDir, server.entry)]));
      report('cached');
      continue;
    }
    if (!toolchains.has(server.language)) toolchains.set(server.language, await probeToolchain(server.language, cacheDir));
    const toolchain = toolchains.get(server.language)!;
    const { tool, fix } = FIXES[server.language];
    if (toolchain instanceof Error) {
      skipped.push({ id: server.id, reason: `${tool} not found (${toolchain.message})`, fix });
      report('skipped', `${tool} not found; install it with \`${fix}\``);
      continue;
    }
    const sourceDir = join(SERVERS_DIR, server.sourceDir);
    const hash = await hashBuildInputs(sourceDir, server, toolchain);
    const binary = join(cacheDir, server.id, hash, server.id);
    if (existsSync(binary)) {
      report('cached');
    } else {
      report('building');
      try {
        await compile(server, sourceDir, binary, cacheDir, opts.signal);
      } catch (err) {
        if (opts.signal?.aborted) break;
        const detail = err instanceof Error && 'stderr' in err ? String((err as { stderr: unknown }).stderr).trim() : String(err);
        skipped.push({
          id: server.id,
          reason: `${tool} failed to build ${server.sourceDir}: ${detail.split('\n').slice(0, 5).join(' | ')}`,
          fix: `cd ${sourceDir} and build it by hand (see fixtures/servers/README.md) to see the full error`,
        });
        report('skipped', `build failed`);
        continue;
      }
      report('built');
    }
    built.push(toBuiltServer(server, [binary]));
  }
  return { built, skipped };
}

function selectServers(only: string[] | undefined): readonly ExampleServer[] {
  if (only === undefined) return EXAMPLE_SERVERS;
  const known = new Set(EXAMPLE_SERVERS.map((s) => s.id));
  const unknown = only.filter((id) => !known.has(id));
  if (unknown.length > 0) {
    throw new NetprobeError('usage', `unknown example server${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}`, {
      hint: `Known servers: ${[...known].join(', ')}.`,
    });
  }
  return EXAMPLE_SERVERS.filter((s) => only.includes(s.id));
}

function toBuiltServer(server: ExampleServer, command: string[]): BuiltServer {
  return { id: server.id, title: server.title, expectedModel: server.expectedModel, command };
}

export function defaultCacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'netprobe', 'servers');
}

async function probeToolchain(language: Exclude<ServerLanguage, 'node'>, cacheDir: string): Promise<Toolchain | Error> {
  try {
    const { stdout } =
      language === 'go'
        ? await run('go', ['version'], { env: goEnv(cacheDir) })
        : await run('gcc', ['--version']);
    return { version: stdout.split('\n')[0]!.trim() };
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
}

// Offline, reproducible Go builds that never touch the user's GOPATH or need a usable HOME.
function goEnv(cacheDir: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    GOTOOLCHAIN: 'local',
    GOFLAGS: '-mod=mod',
    GOPROXY: 'off',
    GO111MODULE: 'on',
    CGO_ENABLED: '0',
    GOCACHE: join(cacheDir, '.go', 'build-cache'),
    GOPATH: join(cacheDir, '.go', 'path'),
  };
}

const C_FLAGS = ['-O2', '-Wall', '-pthread'];
/** The header every C server includes as `../common/http.h`; a change to it must rebuild them all. */
const C_COMMON_DIR = join(SERVERS_DIR, 'common');

async function compile(server: ExampleServer, sourceDir: string, binary: string, cacheDir: string, signal?: AbortSignal): Promise<void> {
  const dir = join(binary, '..');
  await mkdir(dir, { recursive: true });
  // Build beside the final name, then rename: concurrent builders (parallel tests) never see half a binary.
  const temp = `${binary}.tmp-${process.pid}-${Date.now()}`;
  try {
    if (server.language === 'go') {
      await run('go', ['build', '-trimpath', '-o', temp, server.entry], { cwd: sourceDir, env: goEnv(cacheDir), ...(signal ? { signal } : {}) });
    } else {
      await run('gcc', [...C_FLAGS, '-o', temp, join(sourceDir, server.entry)], signal ? { signal } : {});
    }
    await rename(temp, binary);
  } finally {
    await rm(temp, { force: true });
  }
  await removeOtherBuilds(join(dir, '..'), dir);
}

// Builds of older sources are never used again; without this the cache grows with every edit.
async function removeOtherBuilds(serverDir: string, keep: string): Promise<void> {
  for (const entry of await readdir(serverDir, { withFileTypes: true })) {
    const path = join(serverDir, entry.name);
    if (entry.isDirectory() && path !== keep) await rm(path, { recursive: true, force: true });
  }
}

async function hashBuildInputs(sourceDir: string, server: ExampleServer, toolchain: Toolchain): Promise<string> {
  const hash = createHash('sha256');
  hash.update(`${toolchain.version}\0${server.entry}\0${C_FLAGS.join(' ')}\0`);
  const files = await listFiles(sourceDir);
  if (server.language === 'c') files.push(...(await listFiles(C_COMMON_DIR)));
  for (const file of files) {
    hash.update(`${relative(SERVERS_DIR, file)}\0`);
    hash.update(await readFile(file));
    hash.update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath ?? (e as unknown as { path: string }).path, e.name))
    .sort();
}
