/**
 * Tessera's command-line entry point: `reconstruct`, `simulate`, `inspect` and `bench`
 * (`src/cli/`). This file only hands over the arguments and exits with the status.
 */
import { runCli } from "./cli/run.ts";

if (import.meta.main) {
  Deno.exit(await runCli(Deno.args));
}
