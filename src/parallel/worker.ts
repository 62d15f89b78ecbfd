/**
 * Entry point of a pool worker: builds its {@link WorkerContext}, imports the job module the
 * pool names and runs its `run(context)`, then reports the result or the failure.
 */
import type { ControlMessage, StartMessage, WorkerContext, WorkerMessage } from "./context.ts";
import { AbortedError, Fabric } from "./fabric.ts";
import { profile, startProfile } from "./profile.ts";

const scope = self as unknown as {
  onmessage: ((event: MessageEvent<StartMessage | ControlMessage>) => void) | null;
  postMessage(message: WorkerMessage): void;
};

/** Counts the time spent waiting for mapped readbacks, without touching the callers' code. */
function profileReadbacks(): void {
  const mapAsync = GPUBuffer.prototype.mapAsync;
  GPUBuffer.prototype.mapAsync = function (this: GPUBuffer, ...args) {
    return profile.time("readback", () => mapAsync.apply(this, args));
  };
}

scope.onmessage = ({ data }) => {
  if (!("rank" in data)) return;
  void start(data);
};

async function start(start: StartMessage): Promise<void> {
  if (start.profile) {
    startProfile();
    profileReadbacks();
  }
  const fabric = new Fabric(start.buffers, start.rank);
  const timer = setInterval(() => fabric.beat(), start.heartbeatMs);
  let stopRequested = false;
  const commands: unknown[] = [];
  const waiting: Array<(command: unknown) => void> = [];
  scope.onmessage = ({ data }) => {
    if (!("type" in data)) return;
    if (data.type === "stop") stopRequested = true;
    if (data.type !== "command") return;
    const next = waiting.shift();
    if (next) next(data.body);
    else commands.push(data.body);
  };
  const context: WorkerContext = {
    rank: start.rank,
    workers: start.workers,
    payload: start.payload,
    fabric,
    allReduce: (values) => fabric.allReduce(values),
    progress: (event) =>
      scope.postMessage({
        type: "progress",
        event: { ...event, rank: start.rank },
        profile: start.profile ? profile.snapshot() : undefined,
      }),
    get stopRequested() {
      return stopRequested;
    },
    nextCommand: () =>
      commands.length > 0
        ? Promise.resolve(commands.shift())
        : new Promise((resolve) => waiting.push(resolve)),
  };
  try {
    const job = await import(start.job);
    const result = await job.run(context);
    scope.postMessage({ type: "done", result });
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
    scope.onmessage = null;
    // Ending itself lets the worker finish tearing down its device before its thread goes;
    // the pool terminates workers only when a run fails.
    self.close();
  }
}
