import { WorkerPool } from "../../src/parallel/mod.ts";
import { assert, assertEquals, assertRejects } from "../assert.ts";

function slowStart(blockMs: number, limits: { silenceMs: number; startupMs: number }) {
  return new WorkerPool<null, number>({
    workers: 2,
    job: new URL(`./slow_start_job.ts?block=${blockMs}`, import.meta.url),
    payload: () => null,
    ...limits,
  });
}

Deno.test("a worker that takes longer than the silence limit to load its job is not declared dead", async () => {
  const pool = slowStart(2500, { silenceMs: 500, startupMs: 60_000 });
  assertEquals(await pool.run(), [0, 1]);
});

Deno.test("a worker that never gets going is declared dead after the startup limit, naming it", async () => {
  const pool = slowStart(30_000, { silenceMs: 500, startupMs: 1500 });
  const error = await assertRejects(() => pool.run());
  assert(
    /^Worker [01] never started \(no heartbeat within 1500 ms\)$/.test(error.message),
    error.message,
  );
});
