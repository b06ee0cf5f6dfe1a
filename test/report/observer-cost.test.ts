// The tracer's own frames in a CPU profile are marked as observer cost, and their share is measured.
import { describe, expect, it } from 'vitest';
import { CPU_SAMPLE_TYPES, ProfileBuilder, stackList, type Frame } from '../../src/model/profile.js';
import { isObserverFrame, markObserverCost } from '../../src/report/observer-cost.js';

function profile(stacks: [Frame[], number][]) {
  const b = new ProfileBuilder(CPU_SAMPLE_TYPES);
  for (const [frames, n] of stacks) b.addStack(frames.map((f) => b.frameId(f)), CPU_SAMPLE_TYPES.map(() => n));
  return b.build();
}

const user = (name: string): Frame => ({ name, kind: 'user' });
const kernel = (name: string): Frame => ({ name, kind: 'kernel' });

describe('markObserverCost', () => {
  it("re-kinds bpftrace's and perf's probe frames and measures the samples that pass through them", () => {
    // Frame names as perf script prints them for a Go server traced by bpftrace with --syscall-stacks.
    const p = profile([
      [[user('main.handler'), user('syscall.Syscall'), kernel('entry_SYSCALL_64'), kernel('__bpf_trace_sys_enter'), kernel('bpf_prog_6deef7357e7b4530_sys_enter')], 30],
      [[user('main.handler'), kernel('bpf_get_stackid'), kernel('__get_user_handle_exception')], 8],
      [[user('main.handler'), user('runtime.mallocgc')], 62],
    ]);
    const { profile: marked, share } = markObserverCost(p);
    expect(share).toBeCloseTo(0.38, 5);
    const kinds = Object.fromEntries(marked.frames.map((f) => [f.name, f.kind]));
    expect(kinds['bpf_prog_6deef7357e7b4530_sys_enter']).toBe('observer');
    expect(kinds['bpf_get_stackid']).toBe('observer');
    expect(kinds['__get_user_handle_exception']).toBe('observer');
    expect(kinds['entry_SYSCALL_64']).toBe('kernel');
    expect(kinds['main.handler']).toBe('user');
    // Values and stacks are untouched: only the frames' kinds change.
    expect(stackList(marked)).toEqual(stackList(p));
  });

  it('leaves a profile without tracer frames as it is, with a share of 0', () => {
    const p = profile([[[user('main'), kernel('do_syscall_64')], 5]]);
    expect(markObserverCost(p)).toEqual({ profile: p, share: 0 });
  });

  it('never takes a user function for a probe, whatever its name', () => {
    expect(isObserverFrame(user('bpf_prog_loader'))).toBe(false);
    expect(isObserverFrame(kernel('perf_trace_sys_enter'))).toBe(true);
    expect(isObserverFrame(kernel('tcp_sendmsg'))).toBe(false);
  });
});
