// STUB: replaced by the connection sweep.
import type { TraceOptions, TraceResult } from './types.js';

export interface SweepOptions extends TraceOptions {
  /** Connection counts to sweep, e.g. [10, 100, 1000]. */
  connections: number[];
}

export async function runSweep(_options: SweepOptions): Promise<TraceResult[]> {
  throw new Error('--sweep not implemented yet');
}
