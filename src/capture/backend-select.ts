// `--backend auto`: the lowest-overhead backend that works here (bpftrace > perf > strace), and why.
import { NetprobeError } from '../model/errors.js';
import { probeBackends, type ProbeResult } from './probes.js';
import type { BackendName } from './types.js';

export interface BackendChoice {
  backend: BackendName;
  /** One line for stderr and run.json, e.g. `auto: bpftrace (in-kernel counting, lowest overhead)`. */
  reason: string;
}

const WHY: Record<BackendName, string> = {
  bpftrace: 'in-kernel counting, lowest overhead',
  perf: 'syscall tracepoints recorded by perf',
  strace: 'ptrace, highest overhead',
};

/** Picks from probe results; `needsStacks` skips perf, which has no syscall stacks. */
export function chooseBackend(probes: readonly ProbeResult[], options: { needsStacks?: boolean } = {}): BackendChoice {
  const order: BackendName[] = options.needsStacks ? ['bpftrace', 'strace'] : ['bpftrace', 'perf', 'strace'];
  const skipped: string[] = [];
  for (const name of order) {
    const probe = probes.find((p) => p.name === name);
    if (probe?.ok) {
      const why = skipped.length ? `; ${skipped.join('; ')}` : '';
      return { backend: name, reason: `auto: ${name} (${WHY[name]}${why})` };
    }
    skipped.push(`${name}: ${probe?.detail ?? 'not probed'}`);
  }
  const fixes = probes.filter((p) => p.fix).map((p) => `${p.name}: ${p.fix}`);
  throw new NetprobeError('environment', `no tracing backend works here (${skipped.join('; ')})`, {
    hint: fixes.length ? fixes.join(' | ') : 'Run `netprobe doctor` for details.',
  });
}

export async function selectBackend(options: { needsStacks?: boolean } = {}): Promise<BackendChoice> {
  return chooseBackend(await probeBackends(), options);
}
