// STUB: replaced by the real parser.
import type { TextParser } from './types.js';

export const bpftraceParser: TextParser = {
  format: 'bpftrace',
  detect: () => false,
  parse: async () => {
    throw new Error('bpftrace parser not implemented yet');
  },
};
