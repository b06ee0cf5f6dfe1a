// parse/detect.ts lists each text format with its detector and a loader for its parser, so that only the chosen
// parser's module is imported: the list must stay in step with the parsers themselves.
import { describe, expect, it } from 'vitest';
import { TEXT_FORMATS } from '../../src/parse/detect.js';

describe('TEXT_FORMATS', () => {
  it.each(TEXT_FORMATS.map((f) => [f.format, f] as const))('%s: its loader gives the parser of that format, with the same detector', async (format, entry) => {
    const parser = await entry.load();
    expect(parser.format).toBe(format);
    expect(parser.detect).toBe(entry.detect);
  });
});
