/**
 * A pool job for the control-plane tests: each worker all-reduces its rank, then for each
 * command it receives until "end" publishes one progress event echoing it, and returns the
 * commands it got, in order. Object commands also ask for more:
 * - `{ report: n }`: the echo goes out with `report`, carrying n float64s, instead of `progress`;
 * - `{ flood: n }`: n progress events at once (more than the channel holds for a receiver);
 * - `{ busy: ms }`: a report "busy", then the thread stays busy for ms without yielding;
 * - `{ untilStop: true }`: the echo waits until the pool asks the workers to stop.
 */
import type { WorkerContext } from "../../src/parallel/mod.ts";

export async function run(context: WorkerContext<null>): Promise<unknown[]> {
  const total = context.allReduce(Float64Array.of(context.rank + 1))[0];
  const got: unknown[] = [];
  for (;;) {
    const command = await context.nextCommand();
    if (command === "end") return got;
    got.push(command);
    const asks = typeof command === "object" && command !== null
      ? command as { report?: number; flood?: number; busy?: number; untilStop?: boolean }
      : {};
    if (asks.report !== undefined) {
      const data = Float64Array.from({ length: asks.report }, (_, i) => i + context.rank);
      context.report({ type: "echo", command, total, data });
      continue;
    }
    if (asks.busy !== undefined) {
      context.report({ type: "busy" });
      const until = Date.now() + asks.busy;
      while (Date.now() < until) {
        // Spinning on purpose: the worker reads no message meanwhile.
      }
    }
    while (asks.untilStop && !context.stopRequested) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    for (let i = 0; i < (asks.flood ?? 1); i++) context.progress({ type: "echo", command, total });
  }
}
