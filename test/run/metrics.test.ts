// run/metrics: what every kind of input gives as metrics, the Pushgateway URL of a run's group, the push itself
// (against a local HTTP server standing in for the gateway) and the atomic metrics file.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toPrometheusText } from '../../src/export/metrics.js';
import { NetprobeError } from '../../src/model/errors.js';
import { readInput } from '../../src/run/input.js';
import { checkMetricsTargets, gatewayUrl, metricsOfInput, metricsText, pushMetrics, pushUrl, writeMetricsFile } from '../../src/run/metrics.js';
import { fixture } from '../helpers.js';
import { METRICS_FIXTURES } from './metrics-fixtures.js';

async function metricsOf(path: string) {
  return metricsOfInput(await readInput(path), path);
}

describe('metricsOfInput', () => {
  for (const f of METRICS_FIXTURES) {
    it(`${f.kind}: backend ${f.backend}, rates ${f.normalisation}, one line per series`, async () => {
      const m = await metricsOf(f.path);
      expect(m.backend).toBe(f.backend);
      expect(m.normalisation).toBe(f.normalisation);
      expect(m.syscalls.rows.length).toBeGreaterThan(0);
      const samples = toPrometheusText(m).split('\n').filter((l) => l !== '' && !l.startsWith('#'));
      const series = samples.map((l) => l.slice(0, l.lastIndexOf(' ')));
      // A Pushgateway refuses a push with the same series twice.
      expect(new Set(series).size).toBe(series.length);
    });
  }

  it('a run directory brings its requests, capture, threads, overhead, lost events, off-CPU time, latency and model', async () => {
    const m = await metricsOf(fixture('models', 'runs', 'go-nethttp-offcpu-latency'));
    const run = JSON.parse(readFileSync(fixture('models', 'runs', 'go-nethttp-offcpu-latency', 'run.json'), 'utf8')) as {
      load: { requests: number; requestsPerSecond: number };
      capture: { seconds: number };
    };
    expect(m).toMatchObject({
      name: 'go-nethttp',
      divisor: run.load.requests,
      requestsPerSecond: run.load.requestsPerSecond,
      captureSeconds: run.capture.seconds,
      threads: 7,
      observerThroughputRatio: 0.652,
      lostEvents: 0,
      model: { label: 'goroutine-per-connection (netpoll)' },
    });
    expect(m.offcpu?.byKind.futex).toBeGreaterThan(0);
    expect(m.latency?.write?.calls).toBeGreaterThan(0);
  });

  it('a sweep directory is one run per level: it names one to export', async () => {
    const err = await metricsOf(fixture('models', 'runs', 'c-threads-sweep')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NetprobeError);
    expect((err as NetprobeError).message).toMatch(/is a sweep/);
    expect((err as NetprobeError).hint).toMatch(/netprobe metrics .*c-threads-sweep\/connections-10/);
  });

  it('labels that would break the series are usage errors', async () => {
    const m = await metricsOf(METRICS_FIXTURES[0]!.path);
    expect(() => metricsText(m, { 'host-name': 'x' })).toThrow(/--label host-name=\.\.\.`: a label name is/);
    expect(() => metricsText(m, { syscall: 'x' })).toThrow(/netprobe sets syscall itself/);
  });
});

describe('the Pushgateway URL', () => {
  it('is <base>/metrics/job/netprobe/name/<name>/<label>/<value>..., keeping a path prefix', () => {
    expect(pushUrl('http://127.0.0.1:9091', 'c-epoll', { instance: 'web-7' })).toBe('http://127.0.0.1:9091/metrics/job/netprobe/name/c-epoll/instance/web-7');
    expect(pushUrl('https://gw.example/pushgateway/', 'c-epoll', {})).toBe('https://gw.example/pushgateway/metrics/job/netprobe/name/c-epoll');
  });

  it('values with a slash, spaces or nothing at all use the @base64 form', () => {
    expect(pushUrl('http://127.0.0.1:9091', 'a/b', { dc: '', note: 'x y' })).toBe(
      `http://127.0.0.1:9091/metrics/job/netprobe/name@base64/${Buffer.from('a/b').toString('base64url')}/dc@base64/=/note@base64/${Buffer.from('x y').toString('base64url')}`,
    );
  });

  it('must be an explicit http(s) URL without credentials, query or a /metrics path of its own', () => {
    for (const [spec, message] of [
      ['127.0.0.1:9091', /Pushgateway URL like http:\/\/127\.0\.0\.1:9091/],
      ['localhost:9091', /http:\/\/ or https:\/\//],
      ['9091', /Pushgateway URL like http:\/\/127\.0\.0\.1:9091/],
      ['ftp://127.0.0.1/', /http:\/\/ or https:\/\//],
      ['http://user:secret@127.0.0.1:9091', /credentials/],
      ['http://127.0.0.1:9091/?x=1', /no query/],
      ['http://127.0.0.1:9091/metrics/job/x', /base URL/],
    ] as const) {
      expect(() => gatewayUrl(spec), spec).toThrow(message);
    }
    expect(gatewayUrl('http://[::1]:9091').host).toBe('[::1]:9091');
  });
});

describe('pushMetrics', () => {
  let server: Server;
  let base = '';
  const received: { method?: string; url?: string; type?: string; body: string }[] = [];
  let answer = 200;

  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        received.push({ method: req.method, url: req.url, type: req.headers['content-type'], body });
        res.statusCode = answer;
        res.end(answer === 200 ? '' : 'pushed metrics are invalid or inconsistent with existing metrics\nmore');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(async () => new Promise<void>((resolve) => server.close(() => resolve())));

  it('PUTs the text as text format 0.0.4 to the group URL', async () => {
    answer = 200;
    const url = pushUrl(base, 'c-epoll', { instance: 'web-7' });
    await pushMetrics(url, 'netprobe_threads{name="c-epoll"} 1\n');
    expect(received.at(-1)).toEqual({
      method: 'PUT',
      url: '/metrics/job/netprobe/name/c-epoll/instance/web-7',
      type: 'text/plain; version=0.0.4; charset=utf-8',
      body: 'netprobe_threads{name="c-epoll"} 1\n',
    });
  });

  it('a refusal is an environment error (exit 3) with the status and the first line of its answer', async () => {
    answer = 400;
    const err = (await pushMetrics(pushUrl(base, 'x', {}), 'x 1\n').catch((e: unknown) => e)) as NetprobeError;
    expect(err.code).toBe('environment');
    expect(err.message).toBe(`the Pushgateway refused the metrics: HTTP 400 Bad Request from ${base}/metrics/job/netprobe/name/x (pushed metrics are invalid or inconsistent with existing metrics)`);
  });

  it('an unreachable gateway is an environment error that says the connection was refused', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as { port: number }).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const err = (await pushMetrics(`http://127.0.0.1:${port}/metrics/job/netprobe/name/x`, 'x 1\n').catch((e: unknown) => e)) as NetprobeError;
    expect(err.code).toBe('environment');
    expect(err.message).toMatch(new RegExp(`^cannot push metrics to http://127\\.0\\.0\\.1:${port}/metrics/job/netprobe/name/x: connection refused`));
  });
});

describe('the metrics file', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'netprobe-metrics-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('replaces the previous file whole and leaves no temporary file for the textfile collector to read', async () => {
    const file = join(dir, 'netprobe.prom');
    writeFileSync(file, 'old 1\n');
    await writeMetricsFile(file, 'new 2\n');
    expect(readFileSync(file, 'utf8')).toBe('new 2\n');
    expect(readdirSync(dir)).toEqual(['netprobe.prom']);
  });

  it('its directory and the push URL are checked before a capture starts', () => {
    expect(() => checkMetricsTargets({ file: join(dir, 'missing', 'x.prom'), labels: {} })).toThrow(/directory .*missing does not exist/);
    expect(() => checkMetricsTargets({ pushUrl: 'localhost:9091', labels: {} })).toThrow(/--push-metrics/);
    expect(() => checkMetricsTargets({ file: join(dir, 'x.prom'), pushUrl: 'http://127.0.0.1:9091', labels: { instance: 'a' } })).not.toThrow();
  });
});
