/**
 * Entry point of a pool worker: builds its {@link WorkerContext}, imports the job module the
 * pool names and runs its `run(context)`, then reports the result or the failure.
 */
import type { FinishMessage, StartMessage, WorkerContext } from "./context.ts";
import { AbortedError, Fabric } from "./fabric.ts";

const scope = self as unknown as {
  onmessage: ((event: MessageEvent<StartMessage>) => void) | null;
  postMessage(message: FinishMessage): void;
};

scope.onmessage = async ({ data: start }) => {
  scope.onmessage = null;
  const fabric = new Fabric(start.buffers, start.rank);
  const timer = setInterval(() => fabric.beat(), start.heartbeatMs);
  const channel = new BroadcastChannel(start.channel);
  let stopRequested = false;
  const commands: unknown[] = [];
  const waiting: Array<(command: unknown) => void> = [];
  channel.onmessage = (event) => {
    if (event.data?.type === "stop") stopRequested = true;
    if (event.data?.type !== "command") return;
    const next = waiting.shift();
    if (next) next(event.data.body);
    else commands.push(event.data.body);
  };
  const context: WorkerContext = {
    rank: start.rank,
    workers: start.workers,
    payload: start.payload,
    fabric,
    allReduce: (values) => fabric.allReduce(values),
    progress: (event) => channel.postMessage({ ...event, rank: start.rank }),
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
    channel.close();
    // Ending itself lets the worker finish tearing down its device before its thread goes;
    // the pool terminates workers only when a run fails.
    self.close();
  }
};
