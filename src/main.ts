/**
 * Tessera's command-line entry point: `reconstruct`, `simulate` and `inspect`
 * (`src/cli/`). This file only hands over the arguments and exits with the status.
 *
 * The threads of a tiled run's workers stay, idle, until this exit: a worker thread that ended
 * would tear its GPU device down, and exiting during that teardown corrupts the native heap
 * (seen as `corrupted size vs. prev_size` or a segmentation fault after a successful run). So
 * the process ends with `Deno.exit`, which the idle workers would otherwise keep waiting.
 */
import { runCli } from "./cli/run.ts";
import { keepWorkerThreadsUntilExit } from "./parallel/mod.ts";

if (import.meta.main) {
  keepWorkerThreadsUntilExit();
  Deno.exit(await runCli(Deno.args));
}
