import type { Fabric } from "./fabric.ts";

/** A progress event a worker publishes on the pool's BroadcastChannel. */
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
  channel: string;
  heartbeatMs: number;
}

/** A worker's last word: its result, or why it failed. */
export type FinishMessage =
  | { type: "done"; result: unknown }
  | { type: "failed"; message: string; stack?: string; aborted: boolean };
