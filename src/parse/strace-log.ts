// STUB: replaced by the real parser.
import type { TextParser } from './types.js';

export const straceLogParser: TextParser = {
  format: 'strace-log',
  detect: () => false,
  parse: async () => {
    throw new Error('strace-log parser not implemented yet');
  },
};
