/** The `tessera` command line: `reconstruct`, `simulate`, `inspect`, `bench`. */
export * from "./progress.ts";
export * from "./run.ts";
export * from "./values.ts";
export * from "./version.ts";
