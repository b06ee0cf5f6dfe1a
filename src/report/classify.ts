// STUB: replaced by the network-model classifier.
import type { ModelVerdict } from '../model/run.js';
import type { SyscallTable } from '../model/syscalls.js';

export interface ClassifyContext {
  requests?: number;
  threads?: number;
}

export function classifyNetworkModel(_table: SyscallTable, _ctx: ClassifyContext = {}): ModelVerdict {
  return { label: 'unknown', confidence: 0, evidence: ['classifier not implemented yet'] };
}
