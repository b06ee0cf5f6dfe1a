// A few hostile inputs through the built CLI: every command that reads an input exits 0, or 2 with at most two
// lines on stderr (message and hint), never "internal error", and ends well within the issue-10 bound (execa's
// timeout kills a hang, which then fails here). Run `npm run build` first (npm test does).
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers.js';
import { cleanUp, fixtureInputs, params, writeTemp } from './harness.js';

afterAll(cleanUp);

const inputs = await fixtureInputs();

async function clean(file: string): Promise<void> {
  for (const args of [['summary', file], ['flame', file, '-o', '-'], ['convert', file, '--format', 'folded'], ['convert', file, '--format', 'json']]) {
    const r = await runCli(args, { timeoutMs: 60_000 });
    expect([0, 2], `${args.join(' ')}: exit ${r.exitCode}\n${r.stderr}`).toContain(r.exitCode);
    expect(r.stderr).not.toMatch(/internal error|at .*\.js:\d+/);
    // The error itself is one line and a hint at most; warnings about skipped lines may come before it.
    if (r.exitCode === 2) expect(r.stderr.trim().split('\n').filter((l) => !l.startsWith('warning: ')).length, r.stderr).toBeLessThanOrEqual(2);
  }
}

describe('the CLI on hostile input', () => {
  it('random bytes, damaged fixtures and gzip of both', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 2048 }).map((b) => Buffer.from(b)),
          fc.tuple(fc.nat({ max: inputs.length - 1 }), fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 16 })).map(([i, at, junk]) => {
            const bytes = inputs[i]!.bytes;
            const cut = at % (bytes.length + 1);
            return Buffer.concat([bytes.subarray(0, cut), junk, bytes.subarray(cut, cut + 4096)]);
          }),
        ),
        fc.boolean(),
        async (bytes, gzip) => {
          await clean(writeTemp(gzip ? 'input.gz' : 'input', gzip ? gzipSync(bytes) : bytes));
        },
      ),
      params(4),
    );
  });

  it('absurd counts in every counting format are refused with one line, exit 2', async () => {
    const huge = '99999999999999999999';
    for (const text of [`main;read ${huge}\n`, `Attaching 1 probe...\n\n@calls[0]: ${huge}\n`]) {
      const file = writeTemp('huge.txt', text);
      await clean(file);
      const r = await runCli(['convert', file, '--format', 'json']);
      expect(r.exitCode).toBe(2);
      expect(r.stderr).toMatch(/huge\.txt:\d+: expected (a whole count|counts) up to 9007199254740991 \(2\^53 - 1\), got `.*99999999999999999999`/);
    }
  });
});
