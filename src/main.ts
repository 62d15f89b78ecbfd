/**
 * Tessera's command-line entry point: `reconstruct`, `simulate`, `inspect` and `bench`
 * (`src/cli/`). This file only hands over the arguments and sets the exit status.
 *
 * It sets `Deno.exitCode` instead of calling `Deno.exit()`: the process then ends once the event
 * loop is empty, after the workers of a tiled run have closed their GPU devices. Exiting while a
 * worker thread still tears its device down corrupts the native heap (seen as
 * `corrupted double-linked list` or a segmentation fault after a successful run).
 */
import { runCli } from "./cli/run.ts";

if (import.meta.main) {
  Deno.exitCode = await runCli(Deno.args);
}
