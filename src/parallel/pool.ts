import {
  type ChannelMessage,
  LOSS_HINT,
  type PortMessage,
  type ProgressEvent,
  type StartMessage,
  type WorkerMessage,
} from "./context.ts";
import { broadcast, Inbox, listen, Overdue } from "./control.ts";
import { createFabric, type FabricBuffers, type FabricLayout, FabricMonitor } from "./fabric.ts";
import { profileListener, type ProfileSnapshot } from "./profile.ts";

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
  /** Each worker's `progress` and `report` events, in the order that worker sent them. */
  onProgress?: (event: ProgressEvent) => void;
  /** A worker whose heartbeat stays still this long is declared dead. */
  silenceMs?: number;
  /**
   * A worker that has not beaten once after this long is declared dead. Starting a thread and
   * loading its modules can take far longer than a heartbeat on a loaded machine, so this clock
   * is separate from `silenceMs`, and longer.
   */
  startupMs?: number;
}

/** The run failed in a worker: which one, and why. */
export class WorkerFailedError extends Error {
  override name = "WorkerFailedError";
  constructor(message: string, readonly rank: number, options?: ErrorOptions) {
    super(message, options);
  }
}

type Control = { type: "command"; body: unknown } | { type: "stop" };

/** Whether pools keep their workers' threads until the process exits. */
let keepThreads = false;

/** The idle threads of kept pools that have finished, which the next pool to start ends. */
const idleThreads: Worker[] = [];

/**
 * Keeps the thread of every pool worker started from now on, idle, instead of ending it when its
 * run is over, until the process exits or another pool starts. A worker thread that ends tears
 * its GPU device down, and when the process exits during that teardown the native heap is
 * corrupted (glibc aborts with `corrupted size vs. prev_size` or `double free`: 4 of 250 runs of
 * a program whose workers each used a device and closed, here; none of 150 when the process
 * waited a second before exiting, none of 300 with the threads kept). A pool that starts ends
 * the finished pools' idle threads, so a program running pools one after another (the benches)
 * holds one pool's devices at a time, not all of them, and their teardown overlaps the new
 * pool's run, which the program awaits before exiting. Idle workers keep the event loop alive,
 * so a program that calls this ends with `Deno.exit`; `src/main.ts` and `tasks/bench.ts` do.
 * Without it (tests, programs that end by themselves), a pool's run ends only once its workers'
 * threads have ended, teardown included (see {@link threadsEnded}): `deno test` cannot end with
 * `Deno.exit`, and with its pools' threads kept idle a test process still crashed at exit (1 of
 * 13 runs of a test whose 4 workers each ran an FFT on a device; 8 of 56 with the threads ended
 * unawaited, none of 71 with the wait).
 */
export function keepWorkerThreadsUntilExit(): void {
  keepThreads = true;
}

/** How long a failed run with kept threads waits for every worker's last word. */
const LAST_WORDS_MS = 3_000;
/**
 * How long a pool that does not keep threads waits for its workers' threads to end. Measured
 * here: a few tens of ms after a run; a thread whose job is stuck ends when it is terminated.
 */
const THREAD_END_MS = 10_000;
const THREAD_POLL_MS = 5;
const HEARTBEAT_MS = 100;
const DEFAULT_SILENCE_MS = 60_000;
const DEFAULT_STARTUP_MS = 300_000;
/**
 * Deno workers running one job together over a shared {@link FabricBuffers}. Control (commands,
 * stop) and small progress events travel on the process-wide control BroadcastChannel, each
 * message naming its pool so that several pools can run at once; each worker's port carries its
 * start, its large reports and its last word; data goes through SharedArrayBuffer mailboxes.
 * Commands sent before every worker listens on the channel wait, in order, until all do. The
 * main thread never blocks: it watches with `Atomics.waitAsync`. A worker that throws, dies,
 * goes silent or loses channel messages ends the run with a {@link WorkerFailedError} naming it
 * and its share of the work; the others are aborted and terminated.
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
  /** Names this pool's messages on the control channel. */
  readonly id = crypto.randomUUID();
  readonly #options: WorkerPoolOptions<P>;
  readonly #workers: Worker[] = [];
  readonly #inboxes: Inbox[];
  readonly #onProfile = profileListener();
  /** Control messages sent before every worker listens, broadcast once they all do. */
  #early: Control[] | null = [];
  /** How many control messages were broadcast (the workers see it, to notice lost ones). */
  readonly #posted = new Int32Array(new SharedArrayBuffer(4));
  readonly #monitor: FabricMonitor;
  #failure: WorkerFailedError | null = null;
  #finished = false;
  /** Workers that have said their last word (done or failed): their silence is expected. */
  readonly #ended: boolean[];
  readonly #keep = keepThreads;
  /** Each worker's kernel thread id, once it listens (null: unknown, or kept). */
  readonly #threads: Array<number | null>;

  constructor(options: WorkerPoolOptions<P>) {
    if (!Number.isInteger(options.workers) || options.workers < 1) {
      throw new RangeError(`Cannot start ${options.workers} workers: expected a whole number >= 1`);
    }
    this.#options = options;
    const layout = options.fabric ?? { reduceCapacity: 1024, mailboxes: [], tiles: 0 };
    this.buffers = createFabric({ ...layout, workers: options.workers });
    this.#monitor = new FabricMonitor(this.buffers);
    this.#inboxes = Array.from({ length: options.workers }, () => new Inbox());
    this.#ended = this.#inboxes.map(() => false);
    this.#threads = this.#inboxes.map(() => null);
  }

  /** Starts the workers and resolves with each worker's result, in rank order. */
  async run(): Promise<R[]> {
    const { workers } = this.#options;
    const results = new Array<R>(workers);
    if (this.#keep) {
      for (const idle of idleThreads.splice(0)) idle.terminate();
    }
    const stopListening = listen(this.id, (message) => this.#fromChannel(message));
    let listening = 0;
    const finished = Array.from({ length: workers }, (_, rank) =>
      new Promise<void>((resolve) => {
        const worker = new Worker(new URL("./worker.ts", import.meta.url), { type: "module" });
        this.#workers.push(worker);
        const send = (message: PortMessage) => worker.postMessage(message);
        worker.onmessage = ({ data }: MessageEvent<WorkerMessage>) => {
          if (data.type === "listening") {
            this.#threads[rank] = data.thread;
            if (++listening === workers) this.#flushEarly();
          } else if (data.type === "report") {
            this.#inboxes[rank].fromPort(data.order, () => this.#deliver(rank, data));
          } else if (data.type === "done") {
            this.#ended[rank] = true;
            this.#inboxes[rank].fromPort(data.order, () => {
              results[rank] = data.result as R;
              send({ type: "bye" });
              resolve();
            });
          } else {
            this.#ended[rank] = true;
            if (!data.aborted) this.#fail(rank, `threw: ${data.message}`, data.stack);
            resolve();
          }
        };
        worker.onerror = (event) => {
          event.preventDefault();
          this.#fail(rank, `crashed: ${event.message}`);
          resolve();
        };
        send(this.#start(rank));
      }));
    try {
      await Promise.race([Promise.all(finished), this.#watch()]);
    } finally {
      this.#finished = true;
      stopListening();
      if (this.#failure) await this.#stopWorkers(finished);
      if (this.#keep) idleThreads.push(...this.#workers);
      else await threadsEnded(this.#threads, THREAD_END_MS);
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

  /** Terminates worker `rank` from outside, as a crash would: the run then fails. */
  kill(rank: number): void {
    this.#workers[rank]?.terminate();
    this.#fail(rank, "was terminated");
  }

  #start(rank: number): StartMessage {
    const { workers, job, payload } = this.#options;
    return {
      pool: this.id,
      rank,
      workers,
      job: job.href,
      payload: payload(rank),
      buffers: this.buffers,
      heartbeatMs: HEARTBEAT_MS,
      posted: this.#posted.buffer as SharedArrayBuffer,
      profile: this.#onProfile !== null,
      keep: this.#keep,
    };
  }

  #post(message: Control): void {
    if (this.#early) {
      this.#early.push(message);
      return;
    }
    const seq = Atomics.add(this.#posted, 0, 1);
    broadcast({ ...message, pool: this.id, seq });
  }

  #flushEarly(): void {
    const early = this.#early ?? [];
    this.#early = null;
    for (const message of early) this.#post(message);
  }

  #fromChannel(message: ChannelMessage): void {
    if (message.type !== "progress") return;
    const { rank, seq, order } = message;
    const inbox = this.#inboxes[rank];
    const missed = seq - inbox.received;
    if (!inbox.fromChannel(seq, order, () => this.#deliver(rank, message))) {
      this.#fail(rank, `lost ${missed} progress events on the control channel (${LOSS_HINT})`);
    }
  }

  #deliver(rank: number, data: { event: ProgressEvent; profile?: ProfileSnapshot }): void {
    if (data.profile) this.#onProfile?.(rank, data.profile);
    this.#options.onProgress?.(data.event);
  }

  /**
   * Resolves when a failure is recorded; meanwhile declares silent or lossy workers dead. A
   * worker's silence counts from its first heartbeat until its last word; before its first beat
   * it is still starting, and only the longer startup limit applies.
   */
  async #watch(): Promise<void> {
    const silence = this.#options.silenceMs ?? DEFAULT_SILENCE_MS;
    const startup = Math.max(silence, this.#options.startupMs ?? DEFAULT_STARTUP_MS);
    const words = new Int32Array(this.buffers.control);
    const started = Date.now();
    let last = this.#monitor.heartbeats();
    let stillSince = last.map(() => started);
    const overdue = this.#inboxes.map(() => new Overdue());
    while (!this.#finished && !this.#failure) {
      const wait = Atomics.waitAsync(words, 0, 0, HEARTBEAT_MS * 2);
      // Once a worker has set the abort word, the wait returns at once: yield anyway, or this
      // loop would spin without ever reading the message saying which worker failed.
      if (wait.async) await wait.value;
      else await new Promise((resolve) => setTimeout(resolve, HEARTBEAT_MS));
      const now = Date.now();
      const beats = this.#monitor.heartbeats();
      stillSince = stillSince.map((t, w) => beats[w] !== last[w] ? now : t);
      last = beats;
      const dead = beats.findIndex((beat, w) =>
        !this.#ended[w] && (beat === 0 ? now - started > startup : now - stillSince[w] > silence)
      );
      if (dead >= 0) {
        this.#fail(
          dead,
          beats[dead] === 0
            ? `never started (no heartbeat within ${startup} ms)`
            : `stopped responding (no heartbeat for ${silence} ms)`,
        );
      }
      const lossy = this.#inboxes.findIndex((inbox, w) =>
        overdue[w].lost(inbox.waiting, inbox.arrived, now)
      );
      if (lossy >= 0) {
        this.#fail(lossy, `lost progress events on the control channel (${LOSS_HINT})`);
      }
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
    if (!this.#keep) this.#terminateWorkers();
  }

  /**
   * Ends a failed run's workers. Kept threads are not terminated, which would tear their devices
   * down just before the process exits: the abort reaches them within a wait slice, and the
   * pool waits, at most {@link LAST_WORDS_MS}, for each to say its last word and go idle.
   */
  async #stopWorkers(finished: Promise<void>[]): Promise<void> {
    if (!this.#keep) return this.#terminateWorkers();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<void>((resolve) => timer = setTimeout(resolve, LAST_WORDS_MS));
    await Promise.race([Promise.all(finished), late]);
    clearTimeout(timer);
  }

  #terminateWorkers(): void {
    for (const worker of this.#workers) worker.terminate();
  }
}

/**
 * Resolves once none of `threads` (kernel thread ids of this process; nulls are skipped) is
 * alive, or after `limitMs`. A worker thread that ends tears its GPU device down; if the process
 * exits meanwhile, the native heap is corrupted (glibc aborts with `corrupted size vs. prev_size`
 * or `double free`, or a segmentation fault, after a run that succeeded). Deno's `Worker` says
 * nothing when its thread is gone (a closing worker's last message reaches the host before its
 * runtime is torn down), so the pool watches /proc/self/task, where a thread stays listed until
 * it has finished, teardown included. Deno lets only a process with every grant (`--allow-all`,
 * as `deno task test` has) read it; without, the workers' thread ids are null, and the run ends
 * without waiting.
 */
async function threadsEnded(threads: Array<number | null>, limitMs: number): Promise<void> {
  const until = Date.now() + limitMs;
  const alive = (thread: number | null) => thread !== null && taskExists(thread);
  while (threads.some(alive) && Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, THREAD_POLL_MS));
  }
}

function taskExists(thread: number): boolean {
  try {
    Deno.statSync(`/proc/self/task/${thread}`);
    return true;
  } catch {
    return false;
  }
}
