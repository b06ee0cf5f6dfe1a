// The tracer's own cost inside a CPU profile: with bpftrace attached, the target's threads run the BPF programs
// on every syscall (bpf_prog_*, bpf_get_stackid for --syscall-stacks, the user-stack walk faulting in
// __get_user_handle_exception); with perf's syscall recorder, perf's tracepoint hooks (perf_trace_sys_enter,
// perf_swevent_event...). A sampler sees that as the target's CPU time. Marking those frames keeps anyone from
// optimising the tracer.
import type { Frame, Profile } from '../model/profile.js';

const OBSERVER_FRAME = /^(bpf_prog_|bpf_get_stack|bpf_perf_event_output|__bpf_prog_|bpf_trace_run|__bpf_trace_run|__get_user_handle_exception|perf_trace_sys_(enter|exit)|perf_swevent_|perf_tp_event|perf_trace_buf_|perf_syscall_(enter|exit)|trace_call_bpf|bpf_ringbuf_|bpf_map_)/;

/** Whether a (kernel) frame is the tracer's own code. */
export function isObserverFrame(frame: Frame): boolean {
  return frame.kind !== 'user' && frame.kind !== 'jit' && OBSERVER_FRAME.test(frame.name);
}

export interface ObserverCost {
  /** The profile with the tracer's frames re-kinded as `observer`. */
  profile: Profile;
  /** Share (0..1) of the default sample type's total in stacks that pass through a tracer frame. */
  share: number;
}

/** Marks the tracer's frames in a CPU profile and measures how much of it they account for. */
export function markObserverCost(profile: Profile): ObserverCost {
  const observer = profile.frames.map(isObserverFrame);
  if (!observer.some(Boolean)) return { profile, share: 0 };
  const frames = profile.frames.map((f, i) => (observer[i] ? { ...f, kind: 'observer' as const } : f));
  const t = profile.defaultSampleType;
  let total = 0;
  let traced = 0;
  const stacks = profile.stacks;
  for (let i = 0; i < stacks.count; i++) {
    const v = stacks.value(i, t);
    total += v;
    if (stacks.frames(i).some((id) => observer[id]!)) traced += v;
  }
  return { profile: { ...profile, frames }, share: total > 0 ? traced / total : 0 };
}
