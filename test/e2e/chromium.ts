// Headless Chromium for the page tests: loads a generated page from file:// with networking and background
// services off, lets its timers run on virtual time, and returns the DOM it ended with.
import { execa } from 'execa';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Writes `html` to `dir/name`, opens it in a window of `windowSize` ("width,height") and returns the final DOM. */
export async function dumpDom(dir: string, name: string, html: string, windowSize: string): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, html);
  const { stdout } = await execa(
    '/usr/bin/chromium',
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      `--user-data-dir=${join(dir, `profile-${name}`)}`,
      `--window-size=${windowSize}`,
      '--virtual-time-budget=10000',
      '--dump-dom',
      `file://${file}`,
    ],
    { timeout: 90_000 },
  );
  return stdout;
}
