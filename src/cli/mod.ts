/** The `tessera` command line: `reconstruct`, `simulate`, `inspect` (the benchmarks are
 * `tasks/bench.ts`, outside the command line and its binary). */
export * from "./progress.ts";
export * from "./run.ts";
export * from "./values.ts";
