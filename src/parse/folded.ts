// STUB: replaced by the real parser.
import type { TextParser } from './types.js';

export const foldedParser: TextParser = {
  format: 'folded',
  detect: () => false,
  parse: async () => {
    throw new Error('folded parser not implemented yet');
  },
};
