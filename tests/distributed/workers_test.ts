import { WorkerPool } from "../../src/parallel/mod.ts";
import { assertEquals } from "../assert.ts";

Deno.test("a worker that aborts the workers transport ends the run at once, naming itself", async () => {
  const pool = new WorkerPool<null, void>({
    workers: 3,
    job: new URL("./workers_abort_job.ts", import.meta.url),
    payload: () => null,
    fabric: { reduceCapacity: 1, mailboxes: [], tiles: 3 },
    // A pool that never reads the failure declares a silent worker dead after this instead.
    silenceMs: 20_000,
  });
  let message = "";
  await pool.run().catch((error) => message = error.message);
  assertEquals(message, "Worker 1 threw: Worker 1 (tile 1) threw: a planned failure");
});
