import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseLoadOutput, parseRedisBenchmarkOutput, parseWrkOutput } from '../../src/parse/load-output.js';
import { fixture } from '../helpers.js';

const load = (name: string) => readFileSync(fixture('load', name), 'utf8');

describe('parseWrkOutput', () => {
  it.each([
    ['wrk-latency.txt', { requests: 154678, errors: 0, durationSeconds: 2.05, requestsPerSecond: 75325.77, latencyMs: { p50: 0.565, p90: 0.94, p99: 34.36, max: 67.31 } }],
    ['wrk-plain.txt', { requests: 131536, errors: 0, durationSeconds: 2.01, requestsPerSecond: 65358.69 }],
    ['wrk-non2xx.txt', { requests: 46481, errors: 46481, durationSeconds: 1.1, requestsPerSecond: 42148.09, latencyMs: { p50: 0.192, p90: 0.91, p99: 4.63, max: 10.22 } }],
    ['wrk-socket-errors.txt', { requests: 23118, errors: 11558, durationSeconds: 1.1, requestsPerSecond: 21031.53 }],
    ['wrk-timeouts.txt', { requests: 792, errors: 8, durationSeconds: 3.01, requestsPerSecond: 263.54, latencyMs: { p50: 0.068, p90: 1.13, p99: 8.14, max: 17.32 } }],
  ])('%s', (name, expected) => {
    const text = load(name);
    expect(parseWrkOutput(text)).toEqual({ tool: 'wrk', ...expected });
    expect(parseLoadOutput(text)).toEqual({ tool: 'wrk', ...expected });
  });

  it('knows minutes and seconds in durations and latencies', () => {
    const text = 'Running 1m test @ http://127.0.0.1:1/\n  Latency     1.50s    0.20s   1.00m   90.00%\n  Latency Distribution\n     50%    1.20s\n     90%    2.00s\n     99%    1.00m\n  100 requests in 1.00m, 1.00KB read\nRequests/sec:      1.67\n';
    expect(parseWrkOutput(text)).toMatchObject({ requests: 100, durationSeconds: 60, latencyMs: { p50: 1200, p90: 2000, p99: 60000, max: 60000 } });
  });

  it('answers "not mine" for other text, and "unknown count" for a wrk run that never got to its summary', () => {
    expect(parseWrkOutput(load('redis-benchmark.txt'))).toBeNull();
    expect(parseWrkOutput('Running 5s test @ http://127.0.0.1:1/\n  2 threads and 10 connections\n')).toEqual({
      tool: 'wrk', requests: null, errors: 0, durationSeconds: null, requestsPerSecond: null,
    });
  });
});

describe('parseRedisBenchmarkOutput', () => {
  it('sums the requests and seconds of every test section', () => {
    expect(parseRedisBenchmarkOutput(load('redis-benchmark.txt'))).toEqual({
      tool: 'redis-benchmark',
      requests: 40000,
      errors: 0,
      durationSeconds: 0.95,
      requestsPerSecond: 42105.263,
    });
  });

  it('reports the percentiles of a single test, p90 from the tightest distribution line covering 90%', () => {
    const text = load('redis-benchmark.txt');
    const setOnly = text.slice(0, text.indexOf('GET: rps='));
    expect(parseRedisBenchmarkOutput(setOnly)).toEqual({
      tool: 'redis-benchmark',
      requests: 20000,
      errors: 0,
      durationSeconds: 0.46,
      requestsPerSecond: 43478.261,
      latencyMs: { p50: 0.591, p90: 0.903, p99: 5.103, max: 8.959 },
    });
  });

  it('-q output has each test\'s rate but no request count; the overall rate weighs the tests by their time', () => {
    expect(parseLoadOutput(load('redis-benchmark-quiet.txt'))).toEqual({
      tool: 'redis-benchmark',
      requests: null,
      errors: 0,
      durationSeconds: null,
      // Both tests made -n 20000 requests: 40000 / (20000/54054.05 + 20000/42016.80), not the mean of the rates.
      requestsPerSecond: 47281.318,
      testRates: [54054.05, 42016.8],
    });
  });

  it('answers null for text that is no known generator', () => {
    expect(parseLoadOutput('hello\nworld\n')).toBeNull();
    expect(parseRedisBenchmarkOutput(load('wrk-latency.txt'))).toBeNull();
  });
});
