import type { ControlMessage, ProgressEvent, StartMessage, WorkerMessage } from "./context.ts";
import { createFabric, type FabricBuffers, type FabricLayout, FabricMonitor } from "./fabric.ts";
import { profileListener } from "./profile.ts";

/** Options of {@link WorkerPool}. */
export interface WorkerPoolOptions<P> {
  workers: number;
  /** Module that workers import; it exports `run(context: WorkerContext<P>): Promise<R>`. */
  job: URL;
  /** Input of each worker (structured-clonable). */
  payload: (rank: number) => P;
  /** Shared memory layout; the worker count is taken from `workers`. */
  fabric?: Omit<FabricLayout, "workers">;
  /** Names a worker's share of the work in error messages, e.g. `tiles 2, 3`. */
  describe?: (rank: number) => string;
  onProgress?: (event: ProgressEvent) => void;
  /** A worker whose heartbeat stays still this long is declared dead. */
  silenceMs?: number;
}

/** The run failed in a worker: which one, and why. */
export class WorkerFailedError extends Error {
  override name = "WorkerFailedError";
  constructor(message: string, readonly rank: number, options?: ErrorOptions) {
    super(message, options);
  }
}

const HEARTBEAT_MS = 100;
const DEFAULT_SILENCE_MS = 60_000;
/**
 * Deno workers running one job together over a shared {@link FabricBuffers}: control and
 * progress travel as messages between the main thread and each worker (in order per worker; no
 * BroadcastChannel, which would keep the process alive), data through SharedArrayBuffer
 * mailboxes. The main thread never blocks: it watches with `Atomics.waitAsync`. A worker that
 * throws, dies or goes silent ends the run with a {@link WorkerFailedError} naming it and its
 * share of the work; the others are aborted and terminated.
 *
 * @example
 * ```ts
 * const pool = new WorkerPool({
 *   workers: 2,
 *   job: new URL("./my_job.ts", import.meta.url),
 *   payload: (rank) => ({ rank }),
 * });
 * const results = await pool.run();
 * ```
 */
export class WorkerPool<P, R> {
  readonly buffers: FabricBuffers;
  readonly #options: WorkerPoolOptions<P>;
  readonly #workers: Worker[] = [];
  readonly #onProfile = profileListener();
  /** Messages sent before the workers started, delivered when they do. */
  #early: ControlMessage[] | null = [];
  readonly #monitor: FabricMonitor;
  #failure: WorkerFailedError | null = null;
  #finished = false;

  constructor(options: WorkerPoolOptions<P>) {
    if (!Number.isInteger(options.workers) || options.workers < 1) {
      throw new RangeError(`Cannot start ${options.workers} workers: expected a whole number >= 1`);
    }
    this.#options = options;
    const layout = options.fabric ?? { reduceCapacity: 1024, mailboxes: [], tiles: 0 };
    this.buffers = createFabric({ ...layout, workers: options.workers });
    this.#monitor = new FabricMonitor(this.buffers);
  }

  /** Starts the workers and resolves with each worker's result, in rank order. */
  async run(): Promise<R[]> {
    const { workers, job, payload, onProgress } = this.#options;
    const onProfile = this.#onProfile;
    const results = new Array<R>(workers);
    const finished = Array.from({ length: workers }, (_, rank) =>
      new Promise<void>((resolve) => {
        const worker = new Worker(new URL("./worker.ts", import.meta.url), { type: "module" });
        this.#workers.push(worker);
        worker.onmessage = ({ data }: MessageEvent<WorkerMessage>) => {
          if (data.type === "progress") {
            if (data.profile) onProfile?.(rank, data.profile);
            onProgress?.(data.event);
            return;
          }
          if (data.type === "done") results[rank] = data.result as R;
          else if (!data.aborted) this.#fail(rank, `threw: ${data.message}`, data.stack);
          resolve();
        };
        worker.onerror = (event) => {
          event.preventDefault();
          this.#fail(rank, `crashed: ${event.message}`);
          resolve();
        };
        const start: StartMessage = {
          rank,
          workers,
          job: job.href,
          payload: payload(rank),
          buffers: this.buffers,
          heartbeatMs: HEARTBEAT_MS,
          profile: onProfile !== null,
        };
        worker.postMessage(start);
      }));
    const early = this.#early ?? [];
    this.#early = null;
    for (const message of early) this.#post(message);
    const all = Promise.all(finished);
    try {
      await Promise.race([all, this.#watch()]);
    } finally {
      this.#finished = true;
      if (this.#failure) this.#stopWorkers();
    }
    if (this.#failure) throw this.#failure;
    return results;
  }

  /** Asks the workers to stop after their current iteration (they check `stopRequested`). */
  requestStop(): void {
    this.#post({ type: "stop" });
  }

  /** Sends `body` to every worker (their `nextCommand()`), in order. */
  command(body: unknown): void {
    this.#post({ type: "command", body });
  }

  #post(message: ControlMessage): void {
    if (this.#early) this.#early.push(message);
    else for (const worker of this.#workers) worker.postMessage(message);
  }

  /** Terminates worker `rank` from outside, as a crash would: the run then fails. */
  kill(rank: number): void {
    this.#workers[rank]?.terminate();
    this.#fail(rank, "was terminated");
  }

  /** Resolves when a failure is recorded; meanwhile declares silent workers dead. */
  async #watch(): Promise<void> {
    const silence = this.#options.silenceMs ?? DEFAULT_SILENCE_MS;
    const words = new Int32Array(this.buffers.control);
    let last = this.#monitor.heartbeats();
    let stillSince = last.map(() => Date.now());
    while (!this.#finished && !this.#failure) {
      const wait = Atomics.waitAsync(words, 0, 0, HEARTBEAT_MS * 2);
      if (wait.async) await wait.value;
      const now = Date.now();
      const beats = this.#monitor.heartbeats();
      stillSince = stillSince.map((t, w) => beats[w] !== last[w] ? now : t);
      last = beats;
      const dead = stillSince.findIndex((t) => now - t > silence);
      if (dead >= 0) this.#fail(dead, `stopped responding (no heartbeat for ${silence} ms)`);
    }
  }

  #fail(rank: number, what: string, stack?: string): void {
    if (this.#failure || this.#finished) return;
    const share = this.#options.describe?.(rank);
    const who = `Worker ${rank}${share ? ` (${share})` : ""}`;
    this.#failure = new WorkerFailedError(`${who} ${what}`, rank, {
      cause: stack ? new Error(stack) : undefined,
    });
    this.#monitor.abort();
    this.#stopWorkers();
  }

  #stopWorkers(): void {
    for (const worker of this.#workers) worker.terminate();
  }
}
