import { beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLE_SERVERS, buildExampleServers, type BuiltServer } from '../../src/capture/example-servers.js';
import { runHttpLoad } from '../../src/capture/load-http.js';
import { IN_CI, toolAvailable } from '../helpers.js';
import { startServer, TEST_SERVER_CACHE } from '../capture/server-process.js';

// Compilers are installed here and in CI; elsewhere a missing one must show up in `skipped` with its fix.
const haveGo = toolAvailable('go', ['version']);
const haveGcc = toolAvailable('gcc', ['--version']);

describe('example servers', () => {
  let built: BuiltServer[] = [];
  let skipped: { id: string; reason: string; fix: string }[] = [];
  beforeAll(async () => {
    ({ built, skipped } = await buildExampleServers({ cacheDir: TEST_SERVER_CACHE }));
  }, 300_000);

  it('builds every server whose compiler is present and names the fix for the others', () => {
    for (const s of skipped) expect(s.fix).toMatch(/apt-get install (golang-go|gcc)/);
    const expectedSkips = EXAMPLE_SERVERS.filter((s) => (s.language === 'go' && !haveGo) || (s.language === 'c' && !haveGcc)).map((s) => s.id);
    expect(skipped.map((s) => s.id)).toEqual(expectedSkips);
    expect(built.map((s) => s.id).sort()).toEqual(EXAMPLE_SERVERS.map((s) => s.id).filter((id) => !expectedSkips.includes(id)).sort());
    if (IN_CI) expect(skipped).toEqual([]);
  });

  it('reuses the cached build when nothing changed', async () => {
    const states: string[] = [];
    const again = await buildExampleServers({ cacheDir: TEST_SERVER_CACHE, onProgress: (p) => states.push(p.state) });
    expect(again.built.map((s) => s.command)).toEqual(built.map((s) => s.command));
    expect(states.filter((s) => s === 'building')).toEqual([]);
  });

  // A server whose compiler is missing is skipped (its compiler printed a SKIP line above, and the first test
  // checks it is listed in `skipped` with its fix).
  for (const { id, language } of EXAMPLE_SERVERS) {
    const noCompiler = (language === 'go' && !haveGo) || (language === 'c' && !haveGcc);
    it.skipIf(noCompiler)(`${id} answers keep-alive HTTP load without errors and exits on SIGTERM`, async () => {
      const server = built.find((s) => s.id === id);
      expect(server, `${id} was not built`).toBeDefined();
      const running = await startServer(server!.command);
      try {
        const r = await runHttpLoad({ url: `http://127.0.0.1:${running.port}/`, connections: 20, durationSeconds: 1 });
        expect(r.requests).toBeGreaterThan(0);
        expect(r.errors).toBe(0);
      } finally {
        expect(await running.stop()).toBe(0);
      }
    });
  }
});
