/**
 * Kept worker threads (`keepWorkerThreadsUntilExit`, as `src/main.ts` and the benches use them)
 * do not pile up: a pool that starts ends the idle threads of the pools that finished before it.
 * The program runs in its own process, since keeping threads is process-wide.
 */
import { assert, assertEquals } from "../assert.ts";

const PROGRAM = new URL("./kept_threads_program.ts", import.meta.url).pathname;

Deno.test("with threads kept until exit, four pools of 3 workers run one after another leave one pool's threads, not four", async () => {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", PROGRAM],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  assertEquals(output.code, 0, decode(output.stderr));
  const counts: number[] = JSON.parse(decode(output.stdout));
  // Kept for good, each pool would add its 3 threads (measured: 6, 10, 13, 16, 19).
  assert(counts[4] - counts[1] < 3, `threads before and after each pool: ${counts}`);
  assert(counts[1] > counts[0], `the first pool's threads are kept: ${counts}`);
});
