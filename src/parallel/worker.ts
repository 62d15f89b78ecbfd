/**
 * Entry point of a pool worker: builds its {@link WorkerContext}, imports the job module the
 * pool names and runs its `run(context)`, then reports the result or the failure.
 */
import {
  type ChannelMessage,
  CONTROL_CHANNEL,
  LOSS_HINT,
  type PortMessage,
  type ProgressEvent,
  type StartMessage,
  type WorkerContext,
  type WorkerMessage,
} from "./context.ts";
import { Overdue } from "./control.ts";
import { AbortedError, Fabric } from "./fabric.ts";
import { profile, profileReadbacks, type ProfileSnapshot, startProfile } from "./profile.ts";

const scope = self as unknown as {
  onmessage: ((event: MessageEvent<PortMessage>) => void) | null;
  postMessage(message: WorkerMessage): void;
};

/**
 * This worker's end of the control channel: its pool's commands and stop, checked for gaps, and
 * its own numbered progress events. Every other isolate on the channel gets a copy of what is
 * posted here, which is why bulk data goes through the port instead.
 */
class WorkerChannel {
  readonly #channel = new BroadcastChannel(CONTROL_CHANNEL);
  readonly #posted: Int32Array;
  readonly #overdue = new Overdue();
  readonly #commands: unknown[] = [];
  readonly #waiting: Array<(command: unknown) => void> = [];
  #received = 0;
  #lost = false;
  /** How many progress events this worker put on the channel. */
  #sent = 0;
  /** How many events this worker sent, on the channel and its port: the next one's `order`. */
  events = 0;
  stopRequested = false;

  constructor(readonly start: StartMessage, readonly onLost: (why: string) => void) {
    this.#posted = new Int32Array(start.posted);
    this.#channel.onmessage = ({ data }: MessageEvent<ChannelMessage>) => {
      if (data.pool !== start.pool || data.type === "progress" || this.#lost) return;
      if (data.seq !== this.#received) {
        this.#lose(`missed ${data.seq - this.#received} control messages`);
        return;
      }
      this.#received++;
      if (data.type === "stop") this.stopRequested = true;
      else this.#take(data.body);
    };
  }

  progress(event: ProgressEvent, profile?: ProfileSnapshot): void {
    const { pool, rank } = this.start;
    this.#channel.postMessage({
      pool,
      type: "progress",
      rank,
      seq: this.#sent++,
      order: this.events++,
      event,
      profile,
    });
  }

  nextCommand(): Promise<unknown> {
    return this.#commands.length > 0
      ? Promise.resolve(this.#commands.shift())
      : new Promise((resolve) => this.#waiting.push(resolve));
  }

  /** Called on each heartbeat: a control message the pool posted that never comes is lost. */
  check(): void {
    const missing = Atomics.load(this.#posted, 0) > this.#received;
    if (!this.#lost && this.#overdue.lost(missing, this.#received, Date.now())) {
      this.#lose("never received a control message the pool sent");
    }
  }

  /** Ends listening; called only once the pool has every progress event this worker sent. */
  close(): void {
    this.#channel.close();
  }

  #take(command: unknown): void {
    const next = this.#waiting.shift();
    if (next) next(command);
    else this.#commands.push(command);
  }

  #lose(what: string): void {
    this.#lost = true;
    this.onLost(`${what} on the control channel (${LOSS_HINT})`);
  }
}

scope.onmessage = ({ data }) => {
  if ("rank" in data) void start(data);
};

/**
 * This thread's kernel thread id (Linux), or null when /proc/thread-self cannot be read (Deno lets
 * only a process with every grant, `--allow-all`, read /proc/self and /proc/thread-self).
 */
function threadId(): number | null {
  try {
    const match = /\/task\/(\d+)$/.exec(Deno.readLinkSync("/proc/thread-self"));
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

async function start(start: StartMessage): Promise<void> {
  if (start.profile) {
    startProfile();
    profileReadbacks();
  }
  const fabric = new Fabric(start.buffers, start.rank);
  const channel = new WorkerChannel(start, (message) => {
    scope.postMessage({ type: "failed", message, aborted: false });
  });
  scope.postMessage({ type: "listening", thread: start.keep ? null : threadId() });
  // The first heartbeat comes once the job's modules are loaded: loading can block this thread
  // for longer than the silence limit on a loaded machine, and the pool judges a worker that
  // has not beaten yet by its separate startup limit.
  let timer: ReturnType<typeof setInterval> | undefined;
  const startBeating = () => {
    fabric.beat();
    timer = setInterval(() => {
      fabric.beat();
      channel.check();
    }, start.heartbeatMs);
  };
  const { rank } = start;
  const snapshot = () => start.profile ? profile.snapshot() : undefined;
  const context: WorkerContext = {
    rank,
    workers: start.workers,
    payload: start.payload,
    fabric,
    allReduce: (values) => fabric.allReduce(values),
    progress: (event) => channel.progress({ ...event, rank }, snapshot()),
    report: (event) =>
      scope.postMessage({
        type: "report",
        order: channel.events++,
        event: { ...event, rank },
        profile: snapshot(),
      }),
    get stopRequested() {
      return channel.stopRequested;
    },
    nextCommand: () => channel.nextCommand(),
  };
  const bye = new Promise<void>((resolve) => {
    scope.onmessage = ({ data }) => {
      if ("type" in data && data.type === "bye") resolve();
    };
  });
  try {
    const job = await import(start.job);
    startBeating();
    const result = await job.run(context);
    scope.postMessage({ type: "done", result, order: channel.events++ });
    // Progress events posted last may still be on their way; closing the channel now would
    // drop them. The pool says bye once it has them all.
    await bye;
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error));
    scope.postMessage({
      type: "failed",
      message: e.message,
      stack: e.stack,
      aborted: e instanceof AbortedError,
    });
  } finally {
    clearInterval(timer);
    channel.close();
    scope.onmessage = null;
    // Ending its thread tears its GPU device down, which the pool awaits; a program that exits
    // with `Deno.exit` keeps the thread idle instead (see `keepWorkerThreadsUntilExit`).
    if (!start.keep) self.close();
  }
}
