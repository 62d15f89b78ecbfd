/** `tessera bench NAME`: hands over to the benchmark dispatcher of `tasks/bench.ts`. */
import type { Command } from "commander";
import { runBench } from "../../tasks/bench.ts";
import { subcommand } from "./command.ts";

/** The `bench` command; its exit status is the dispatcher's. */
export function benchCommand(setStatus: (status: number) => void): Command {
  return subcommand({
    name: "bench",
    summary: "Measure: fft, iteration, memory or scaling (a table, or JSON with --json).",
    examples: [
      "deno task bench fft",
      "deno task bench iteration --json",
      "LP_NUM_THREADS=1 deno task bench scaling",
    ],
  })
    .argument("<NAME>", "benchmark: fft, iteration, memory or scaling")
    .argument("[ARGS...]", "options of the benchmark, such as --json")
    .allowUnknownOption()
    .passThroughOptions()
    .action(async (name: string, args: string[]) => setStatus(await runBench([name, ...args])));
}
