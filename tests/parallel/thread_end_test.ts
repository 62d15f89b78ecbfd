/**
 * A pool that does not keep its threads ends its run only once they have ended: a worker thread
 * that ends tears its GPU device down, and a process that exits meanwhile aborts (see
 * `WorkerPool`). `deno test` ends with no `Deno.exit`, so every test that runs a pool relies on it.
 * The pool watches /proc/self/task, which Deno opens only to `--allow-all` (`deno task test`).
 */
import { WorkerPool } from "../../src/parallel/mod.ts";
import { assert, assertEquals } from "../assert.ts";

Deno.test("when a pool's run resolves, the threads of its workers, which used GPU devices, have ended", async () => {
  const pool = new WorkerPool<null, [number, number]>({
    workers: 2,
    job: new URL("./device_job.ts", import.meta.url),
    payload: () => null,
  });
  const results = await pool.run();
  const alive = results.filter(([thread]) => {
    try {
      Deno.statSync(`/proc/self/task/${thread}`);
      return true;
    } catch {
      return false;
    }
  });
  assertEquals(alive, [], "threads still listed in /proc/self/task");
  // The zero-frequency term of a constant frame of value v is 32 v (a unitary FFT).
  assertEquals(results.map(([, zero]) => zero), [32, 64]);
  assert(results[0][0] !== results[1][0], "two threads");
});
