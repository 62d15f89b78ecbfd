/**
 * Where a worker's time goes, for `deno task bench scaling --profile`: wall-clock time per phase
 * of the data plane (readbacks, waits on peers, host-side strip sums, strip uploads), each phase
 * counted as the union of its intervals so that tiles interleaved in one worker are not counted
 * twice. Everything outside a phase is the device work and its recording.
 */

/** The phases a worker's profile distinguishes. */
export type Phase =
  | "readback"
  | "mailbox wait"
  | "all-reduce wait"
  | "exchange host"
  | "strip write";

/** A worker's cumulative profile since it started, in milliseconds. */
export interface ProfileSnapshot {
  /** Wall-clock time since the profile started. */
  wallMs: number;
  /** CPU time of the worker's JavaScript thread (NaN where /proc is not readable). */
  cpuMs: number;
  /** Time inside each phase (union of its intervals). */
  phases: Record<Phase, number>;
  /** Time inside no phase at all: device work and its recording, host work of the job. */
  otherMs: number;
}

const PHASES: Phase[] = [
  "readback",
  "mailbox wait",
  "all-reduce wait",
  "exchange host",
  "strip write",
];

/** Union-of-intervals clock for one phase, or for "any phase" when `null`. */
class UnionClock {
  #open = 0;
  #since = 0;
  total = 0;

  enter(now: number): void {
    if (this.#open++ === 0) this.#since = now;
  }

  leave(now: number): void {
    if (--this.#open === 0) this.total += now - this.#since;
  }

  /** The total including a still-open interval. */
  at(now: number): number {
    return this.total + (this.#open > 0 ? now - this.#since : 0);
  }
}

/** Accumulates phase times on one thread; a disabled profile costs one branch per call. */
export class PhaseProfile {
  readonly #clocks = new Map<Phase, UnionClock>(PHASES.map((p) => [p, new UnionClock()]));
  readonly #any = new UnionClock();
  readonly #start: number;

  /** `now` is the clock in ms (tests give a fake one). */
  constructor(readonly enabled: boolean, readonly now: () => number = () => performance.now()) {
    this.#start = now();
  }

  /** Runs `work`, counting its time (until it settles) in `phase`. */
  async time<T>(phase: Phase, work: () => Promise<T>): Promise<T> {
    if (!this.enabled) return await work();
    this.#enter(phase);
    try {
      return await work();
    } finally {
      this.#leave(phase);
    }
  }

  /** Runs synchronous `work`, counting its time in `phase`. */
  timeSync<T>(phase: Phase, work: () => T): T {
    if (!this.enabled) return work();
    this.#enter(phase);
    try {
      return work();
    } finally {
      this.#leave(phase);
    }
  }

  /** The cumulative times so far. */
  snapshot(): ProfileSnapshot {
    const now = this.now();
    const phases = Object.fromEntries(
      PHASES.map((p) => [p, this.#clocks.get(p)!.at(now)]),
    ) as Record<Phase, number>;
    const wallMs = now - this.#start;
    return { wallMs, cpuMs: threadCpuMs(), phases, otherMs: wallMs - this.#any.at(now) };
  }

  #enter(phase: Phase): void {
    const now = this.now();
    this.#clocks.get(phase)!.enter(now);
    this.#any.enter(now);
  }

  #leave(phase: Phase): void {
    const now = this.now();
    this.#clocks.get(phase)!.leave(now);
    this.#any.leave(now);
  }
}

/** CPU time (user + system) of the calling thread, in ms, from /proc; NaN elsewhere. */
export function threadCpuMs(): number {
  try {
    return cpuTicksMs(Deno.readTextFileSync("/proc/thread-self/stat"));
  } catch {
    return NaN;
  }
}

/** User + system CPU milliseconds of a /proc `stat` line (clock ticks of 10 ms). */
export function cpuTicksMs(stat: string): number {
  // The command name (field 2) may hold spaces; fields after its closing parenthesis are fixed.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return 10 * (Number(fields[11]) + Number(fields[12]));
}

/** The profile of the current thread (disabled until a pool worker enables it). */
export let profile = new PhaseProfile(false);

/** Starts this thread's profile (called by a pool worker told to profile). */
export function startProfile(): PhaseProfile {
  profile = new PhaseProfile(true);
  return profile;
}

/**
 * Counts this thread's time waiting for mapped readbacks in its profile's "readback" phase,
 * without touching the callers' code. Call once per thread, after {@link startProfile}. A wait
 * ends when the mapping's promise settles or, if sooner, when the caller takes the values
 * (`Gpu.read` takes a small read-back's values once the call of `mapAsync` has returned).
 */
export function profileReadbacks(): void {
  const { mapAsync, getMappedRange } = GPUBuffer.prototype;
  const taking = new WeakMap<GPUBuffer, () => void>();
  GPUBuffer.prototype.mapAsync = function (this: GPUBuffer, ...args) {
    let mapped!: Promise<undefined>;
    const taken = new Promise<void>((resolve) => taking.set(this, resolve));
    profile.time("readback", () => {
      mapped = mapAsync.apply(this, args);
      return Promise.race([mapped.then(() => {}, () => {}), taken]);
    });
    return mapped;
  };
  GPUBuffer.prototype.getMappedRange = function (this: GPUBuffer, ...args) {
    taking.get(this)?.();
    taking.delete(this);
    return getMappedRange.apply(this, args);
  };
}

type ProfileListener = (rank: number, snapshot: ProfileSnapshot) => void;
let listener: ProfileListener | null = null;

/**
 * Makes the pools created from now on profile their workers: each progress event a worker
 * publishes carries its cumulative {@link ProfileSnapshot}, handed to `onSnapshot` before the
 * pool's own progress handler sees the event. Returns a function that stops watching.
 */
export function watchProfiles(onSnapshot: ProfileListener): () => void {
  listener = onSnapshot;
  return () => {
    if (listener === onSnapshot) listener = null;
  };
}

/** The current profile listener (read by each pool when it is created). */
export function profileListener(): ProfileListener | null {
  return listener;
}
