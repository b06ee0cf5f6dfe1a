// STUB: replaced by the real parser.
import type { TextParser } from './types.js';

export const perfScriptParser: TextParser = {
  format: 'perf-script',
  detect: () => false,
  parse: async () => {
    throw new Error('perf-script parser not implemented yet');
  },
};
