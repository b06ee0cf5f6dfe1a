// STUB: replaced by the real parser.
import type { TextParser } from './types.js';

export const perfTraceSummaryParser: TextParser = {
  format: 'perf-trace-summary',
  detect: () => false,
  parse: async () => {
    throw new Error('perf-trace-summary parser not implemented yet');
  },
};
