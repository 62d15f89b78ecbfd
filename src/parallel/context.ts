import type { Fabric } from "./fabric.ts";

/** A progress event a worker publishes to the main thread. */
export interface ProgressEvent {
  rank: number;
  [field: string]: unknown;
}

/** What code running inside a pool worker gets. */
export interface WorkerContext<P = unknown> {
  /** This worker's index, 0 .. workers - 1. */
  rank: number;
  workers: number;
  /** The structured-clonable input the pool gave this worker. */
  payload: P;
  /** Shared memory with the other workers (all-reduce, mailboxes). */
  fabric: Fabric;
  /** Element-wise sum over workers in rank order; bitwise the same on every worker. */
  allReduce(values: Float64Array): Float64Array;
  /** Publishes a progress event (for example an iteration's cost) to the main thread. */
  progress(event: Record<string, unknown>): void;
  /** True once the main thread asked the run to stop early (checked between iterations). */
  readonly stopRequested: boolean;
  /** The next command the main thread sent with `WorkerPool.command`, in order. */
  nextCommand(): Promise<unknown>;
}

/** The message the main thread sends a worker to start it. */
export interface StartMessage {
  rank: number;
  workers: number;
  job: string;
  payload: unknown;
  buffers: import("./fabric.ts").FabricBuffers;
  heartbeatMs: number;
  /** Whether the worker keeps a `PhaseProfile` and sends it with each progress event. */
  profile: boolean;
}

/** What the main thread sends a started worker: a command for `nextCommand()`, or stop. */
export type ControlMessage = { type: "command"; body: unknown } | { type: "stop" };

/** What a worker sends the main thread: progress events, then its last word (result or failure). */
export type WorkerMessage =
  | {
    type: "progress";
    event: ProgressEvent;
    /** The worker's cumulative profile, when its pool profiles. */
    profile?: import("./profile.ts").ProfileSnapshot;
  }
  | { type: "done"; result: unknown }
  | { type: "failed"; message: string; stack?: string; aborted: boolean };
