/**
 * A pool job for the control-plane tests: each worker all-reduces its rank, publishes one
 * progress event per command it receives (echoing it) until the command "end", and returns the
 * commands it got, in order.
 */
import type { WorkerContext } from "../../src/parallel/mod.ts";

export async function run(context: WorkerContext<null>): Promise<unknown[]> {
  const total = context.allReduce(Float64Array.of(context.rank + 1))[0];
  const got: unknown[] = [];
  for (;;) {
    const command = await context.nextCommand();
    if (command === "end") return got;
    got.push(command);
    context.progress({ type: "echo", command, total });
  }
}
