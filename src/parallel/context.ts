import type { Fabric, FabricBuffers } from "./fabric.ts";
import type { ProfileSnapshot } from "./profile.ts";

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
  /**
   * Publishes a small progress event (an iteration's cost, "ready") on the control channel.
   * Every isolate listening on the channel gets a copy: keep arrays out of it (see `report`).
   */
  progress(event: Record<string, unknown>): void;
  /**
   * Sends an event with a large payload (a tile's arrays, a solver state) to the main thread
   * only, on this worker's own port. It reaches the pool's `onProgress` like `progress` events,
   * in the order the worker sent both kinds.
   */
  report(event: Record<string, unknown>): void;
  /** True once the main thread asked the run to stop early (checked between iterations). */
  readonly stopRequested: boolean;
  /** The next command the main thread sent with `WorkerPool.command`, in order. */
  nextCommand(): Promise<unknown>;
}

/** Name of the process-wide BroadcastChannel that carries control and progress. */
export const CONTROL_CHANNEL = "tessera-control";

/** Why the control channel drops messages, for the errors that say it did. */
export const LOSS_HINT = "more than 256 messages were pending for one receiver";

/** The message the main thread sends a worker on its port to start it. */
export interface StartMessage {
  /** Id of the pool: messages of other pools on the control channel are ignored. */
  pool: string;
  rank: number;
  workers: number;
  job: string;
  payload: unknown;
  buffers: FabricBuffers;
  heartbeatMs: number;
  /** One Int32 word: how many control messages the pool has broadcast so far. */
  posted: SharedArrayBuffer;
  /** Whether the worker keeps a `PhaseProfile` and sends it with each event. */
  profile: boolean;
  /**
   * Whether the worker's thread stays, idle, once its run is over, instead of ending (see
   * `keepWorkerThreadsUntilExit`).
   */
  keep: boolean;
}

/**
 * What travels on the control channel. Every message names its pool; `seq` counts each sender's
 * messages from 0 so that a receiver notices one the channel dropped. A progress event also
 * carries `order`, its place among all its worker's events (channel and port together).
 */
export type ChannelMessage =
  | { pool: string; type: "command"; seq: number; body: unknown }
  | { pool: string; type: "stop"; seq: number }
  | {
    pool: string;
    type: "progress";
    rank: number;
    seq: number;
    order: number;
    event: ProgressEvent;
    /** The worker's cumulative profile, when its pool profiles. */
    profile?: ProfileSnapshot;
  };

/** What a worker sends on its port: that it listens, reports, then its last word. */
export type WorkerMessage =
  | {
    type: "listening";
    /**
     * The worker's kernel thread id, whose end a pool that does not keep threads awaits; null
     * when the pool keeps it, or where /proc/thread-self cannot be read.
     */
    thread: number | null;
  }
  | {
    type: "report";
    /** Its place among all the worker's events, channel and port together. */
    order: number;
    event: ProgressEvent;
    profile?: ProfileSnapshot;
  }
  | { type: "done"; result: unknown; order: number }
  | { type: "failed"; message: string; stack?: string; aborted: boolean };

/** What the main thread sends a worker on its port: the start, and leave to end once done. */
export type PortMessage = StartMessage | { type: "bye" };
