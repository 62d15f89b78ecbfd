/**
 * `deno task bench NAME [--json]`: the benchmarks. Each lives in `tasks/bench/NAME.ts` and
 * exports `run(args: string[]): Promise<void>`, printing a table, or one JSON object with
 * `--json`.
 *
 * As `src/main.ts` does, the benches keep their pools' worker threads idle rather than let them
 * tear their GPU devices down as the process exits (which corrupts the native heap), and end
 * with `Deno.exit`; a bench that runs one pool after another holds only the latest pool's
 * threads, since a pool that starts ends the finished ones' (`keepWorkerThreadsUntilExit`).
 */
import { keepWorkerThreadsUntilExit } from "../src/parallel/mod.ts";

const BENCHES = ["fft", "iteration", "memory", "quality", "scaling", "serve"] as const;

export async function runBench(args: string[]): Promise<number> {
  const [name, ...rest] = args;
  if (!name || !(BENCHES as readonly string[]).includes(name)) {
    console.error(`usage: deno task bench <${BENCHES.join("|")}> [--json]`);
    console.error(
      `error: ${name ? `unknown benchmark "${name}"` : "a benchmark name is required"}`,
    );
    return 2;
  }
  const module = await import(`./bench/${name}.ts`);
  await module.run(rest);
  return 0;
}

if (import.meta.main) {
  keepWorkerThreadsUntilExit();
  Deno.exit(await runBench(Deno.args));
}
