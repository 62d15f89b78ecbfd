/**
 * Tessera's command-line entry point: `reconstruct`, `simulate`, `inspect` and `bench`.
 *
 * The full CLI lives in `src/cli/`; this file only hands it the arguments.
 */
if (import.meta.main) {
  const [command, ...rest] = Deno.args;
  if (command === "bench") {
    const { runBench } = await import("../tasks/bench.ts");
    Deno.exit(await runBench(rest));
  }
  console.error(`tessera: the "${command ?? ""}" command is not built yet (see the open issues).`);
  Deno.exit(2);
}
