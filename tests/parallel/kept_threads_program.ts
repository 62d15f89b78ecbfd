/**
 * A program for `kept_threads_test.ts`: with worker threads kept until exit, it runs four pools
 * of three workers one after another and prints, after each, how many threads the process has
 * (from /proc/self/status) once the count has settled; then it exits with `Deno.exit`.
 */
import { keepWorkerThreadsUntilExit, WorkerPool } from "../../src/parallel/mod.ts";

/** The process's thread count. */
function threads(): number {
  const status = Deno.readTextFileSync("/proc/self/status");
  return Number(/^Threads:\s+(\d+)$/m.exec(status)![1]);
}

/** The thread count once it has not changed for 300 ms (threads end a little after terminate). */
async function settledThreads(): Promise<number> {
  let last = threads(), since = Date.now();
  while (Date.now() - since < 300) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    const now = threads();
    if (now !== last) [last, since] = [now, Date.now()];
  }
  return last;
}

if (import.meta.main) {
  keepWorkerThreadsUntilExit();
  const counts = [await settledThreads()];
  for (let i = 0; i < 4; i++) {
    const pool = new WorkerPool<null, number>({
      workers: 3,
      job: new URL("./slow_start_job.ts?block=0", import.meta.url),
      payload: () => null,
    });
    await pool.run();
    counts.push(await settledThreads());
  }
  console.log(JSON.stringify(counts));
  Deno.exit(0);
}
