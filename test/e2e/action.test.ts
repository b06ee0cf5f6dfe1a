// The GitHub Action (action.yml) and the Actions snippets of the help and README, run here as GitHub would run
// them: each composite step's script under bash -e (GitHub adds -o pipefail to `shell: bash`; without it a pipe
// would hide a failure, which is what these tests look for), with the step's env, GITHUB_ACTION_PATH, a job
// summary file and GITHUB_ACTIONS=true. The server is the Go net/http example and its split-write variant.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import yaml from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildExampleServers } from '../../src/capture/example-servers.js';
import { TEST_SERVER_CACHE } from '../capture/server-process.js';
import { fixture, isRoot, ROOT, runCli, toolAvailable } from '../helpers.js';
import { freePort, usableBackends } from './trace-support.js';

interface ActionStep {
  name: string;
  shell: string;
  run: string;
  env?: Record<string, string>;
}

interface Action {
  inputs: Record<string, { required?: boolean; default?: string }>;
  runs: { using: string; steps: ActionStep[] };
}

const action = yaml.load(readFileSync(join(ROOT, 'action.yml'), 'utf8')) as Action;
const usable = usableBackends();
const haveGo = toolAvailable('go', ['version']);

/** What a step's script gets: GitHub's ${{ inputs.x }} replaced by the given input or the input's default. */
function stepEnv(step: ActionStep, inputs: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(step.env ?? {}).map(([key, value]) => [
      key,
      value.replace(/\$\{\{\s*inputs\.([\w-]+)\s*\}\}/g, (_, name: string) => {
        expect(action.inputs[name], `action.yml has no input ${name}`).toBeDefined();
        return inputs[name] ?? action.inputs[name]!.default ?? '';
      }),
    ]),
  );
}

/** Runs a shell script as a `shell: bash` step does, minus pipefail. */
async function bashStep(script: string, cwd: string, env: Record<string, string>) {
  const file = join(cwd, `.step-${Math.random().toString(16).slice(2)}.sh`);
  writeFileSync(file, script);
  const r = await execa('bash', ['--noprofile', '--norc', '-e', file], { cwd, env: { NO_COLOR: '1', ...env }, reject: false, timeout: 180_000 });
  rmSync(file, { force: true });
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

describe('action.yml', () => {
  it('is a composite action whose steps use bash and no ${{ }} expressions in their scripts', () => {
    expect(action.runs.using).toBe('composite');
    expect(Object.keys(action.inputs)).toEqual(expect.arrayContaining(['baseline', 'command', 'load', 'requests', 'runs', 'update-baseline']));
    for (const step of action.runs.steps) {
      expect(step.shell).toBe('bash');
      // Inputs reach the scripts as environment variables only: no script injection, and this test runs them as they are.
      expect(step.run).not.toContain('${{');
      expect(step.run).not.toMatch(/\|\s*tee\b/);
    }
  });
});

describe('the README workflow', () => {
  it('uses this action with inputs it declares, the required ones given, and no pipe into tee', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('#### GitHub Actions'));
    const block = /```yaml\n([\s\S]*?)```/.exec(section)![1]!;
    const workflow = yaml.load(block) as { jobs: Record<string, { steps: { uses?: string; run?: string; with?: Record<string, unknown> }[] }> };
    const steps = Object.values(workflow.jobs).flatMap((j) => j.steps);
    const ours = steps.find((st) => st.uses?.includes('/netprobe@'))!;
    expect(ours, 'a step using <owner>/netprobe@<tag>').toBeDefined();
    for (const name of Object.keys(ours.with ?? {})) expect(Object.keys(action.inputs), name).toContain(name);
    for (const [name, input] of Object.entries(action.inputs)) if (input.required) expect(ours.with, name).toHaveProperty(name);
    for (const st of steps) expect(st.run ?? '').not.toMatch(/\|\s*tee\b/);
    // The JUnit file the upload step keeps is the action's default.
    expect(JSON.stringify(steps)).toContain(action.inputs.junit!.default!);
  });
});

describe.skipIf(!haveGo || !(usable.bpftrace || usable.strace) || !isRoot)('action.yml steps, run locally under bash -e', () => {
  let workspace = '';
  let server = '';
  const summary = () => join(workspace, 'step-summary.md');
  const env = () => ({ GITHUB_ACTION_PATH: ROOT, GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary(), PATH: process.env.PATH ?? '' });
  const runAction = async (inputs: Record<string, string>) => {
    const results = [];
    for (const step of action.runs.steps) {
      const r = await bashStep(step.run, workspace, { ...env(), ...stepEnv(step, inputs) });
      results.push(r);
      if (r.exitCode !== 0) break;
    }
    return results;
  };

  beforeAll(async () => {
    workspace = mkdtempSync(join(tmpdir(), 'netprobe-action-'));
    mkdirSync(join(workspace, 'ci'));
    writeFileSync(summary(), '');
    const { built } = await buildExampleServers({ cacheDir: TEST_SERVER_CACHE, only: ['go-nethttp'] });
    server = built[0]!.command[0]!;
  }, 120_000);
  afterAll(() => {
    rmSync(workspace, { recursive: true, force: true });
    // The help snippet's --junit netprobe.xml, relative to the checkout it ran in.
    rmSync(join(ROOT, 'netprobe.xml'), { force: true });
  });

  it('writes a baseline, passes the same server, and fails the split-write variant with the step', async () => {
    const port = await freePort();
    const inputs = {
      baseline: 'ci/syscalls.json',
      load: `http://127.0.0.1:${port}/`,
      requests: '5000',
      runs: '1',
      args: `--backend ${usable.bpftrace ? 'bpftrace' : 'strace'} -c 4`,
    };
    const update = await runAction({ ...inputs, command: `${server} ${port}`, 'update-baseline': 'true' });
    expect(update.map((r) => r.exitCode), update.at(-1)!.stderr).toEqual([0, 0, 0]);
    expect(JSON.parse(readFileSync(join(workspace, 'ci', 'syscalls.json'), 'utf8'))).toMatchObject({ load: { requests: 5000 } });

    const same = await runAction({ ...inputs, command: `${server} ${port}` });
    expect(same.at(-1)!.exitCode, same.at(-1)!.stdout).toBe(0);
    expect(readFileSync(join(workspace, 'netprobe-check.xml'), 'utf8')).toContain('failures="0"');
    expect(readFileSync(summary(), 'utf8')).toMatch(/^### ✅ netprobe check passed\n/);

    const split = await runAction({ ...inputs, command: `${server} ${port} split-write` });
    expect(split.map((r) => r.exitCode)).toEqual([0, 0, 1]);
    // About 1.00 -> 2.00: Go wakes its netpoller with a write(2) too, a few per cent more under a busy CPU.
    expect(split[2]!.stderr).toMatch(/^::error title=netprobe check%3A write::write 1\.0\d → 2\.0\d per request \(\+(9\d|10\d)%25, limit \+10%25\)$/m);
    expect(readFileSync(summary(), 'utf8')).toContain('\n### ❌ netprobe check found a regression\n');
  });

  it('the help\'s Actions snippet, run as it is (in this checkout npx netprobe is ours), fails the step on a regression', async () => {
    const help = (await runCli(['check', '--help'])).stdout;
    const block = help.slice(help.indexOf('  - run: |\n') + '  - run: |\n'.length, help.indexOf('\nOr the ready'));
    const snippet = block.replace(/^ {6}/gm, '');
    expect(snippet).toMatch(/^sudo -E env "PATH=\$PATH" npx netprobe check --baseline ci\/syscalls\.json /);
    expect(snippet).not.toMatch(/\|\s*tee\b/);
    const port = await freePort();
    const backend = usable.bpftrace ? 'bpftrace' : 'strace';
    const base = join(workspace, 'help-baseline.json');
    const load = ['--backend', backend, '--load', `http://127.0.0.1:${port}/`, '-c', '4', '-n', '5000'];
    expect((await runCli(['check', '--baseline', base, '--update-baseline', ...load, '-o', join(workspace, 'help-base'), '--', server, String(port)])).exitCode).toBe(0);
    const script = snippet
      // Root here, and no sudo installed: what sudo -E env PATH=... runs, without it.
      .replace('sudo -E env "PATH=$PATH" ', '')
      .replace('ci/syscalls.json', base)
      .replace('--runs 3', `--runs 1 --backend ${backend} -c 4 -o ${join(workspace, 'help-run')}`)
      .replace('-n 20000', '-n 5000')
      .replaceAll('8080', String(port))
      .replace('./server', `${server}`)
      .replace(/\s*$/, ' split-write\n');
    const r = await bashStep(script, ROOT, { ...env(), GITHUB_STEP_SUMMARY: join(workspace, 'help-summary.md') });
    expect(r.exitCode, r.stderr).toBe(1);
    expect(readFileSync(join(workspace, 'help-summary.md'), 'utf8')).toMatch(/\n\*\*FAILED: write 1\.0\d → 2\.0\d per request \(\+(9\d|10\d)%, limit \+10%\)/);
  });
});

describe('the old snippet, `check --markdown | tee -a "$GITHUB_STEP_SUMMARY"`', () => {
  it('passes a failing check under bash -e (no pipefail); check writing the summary itself does not', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'netprobe-tee-'));
    const summary = join(dir, 'summary.md');
    const check = `node ${JSON.stringify(join(ROOT, 'bin', 'netprobe.js'))} check --baseline ${fixture('models', 'example-c-epoll-c1.strace.txt')} ${fixture('models', 'example-go-nethttp-c1.strace.txt')}`;
    const env = { GITHUB_STEP_SUMMARY: summary, PATH: process.env.PATH ?? '' };
    const piped = await bashStep(`${check} --markdown | tee -a "$GITHUB_STEP_SUMMARY"\n`, dir, { PATH: env.PATH, SUMMARY: summary, GITHUB_STEP_SUMMARY: join(dir, 'old.md') });
    expect(piped.exitCode).toBe(0);
    const direct = await bashStep(`${check}\necho "not reached"\n`, dir, env);
    expect(direct.exitCode).toBe(1);
    expect(direct.stdout).not.toContain('not reached');
    expect(readFileSync(summary, 'utf8')).toMatch(/^### ❌ netprobe check found a regression\n/);
    rmSync(dir, { recursive: true, force: true });
  });
});
