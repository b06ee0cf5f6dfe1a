// STUB: replaced by the real parser.
import type { TextParser } from './types.js';

export const straceSummaryParser: TextParser = {
  format: 'strace-summary',
  detect: () => false,
  parse: async () => {
    throw new Error('strace-summary parser not implemented yet');
  },
};
