/** `tessera inspect FILE`: validates a CXI file and summarises it. */
import type { Command } from "commander";
import { subcommand } from "./command.ts";

/** The `inspect` command; `run` receives the file and whether to print JSON. */
export function inspectCommand(
  run: (file: string, options: { json: boolean }) => Promise<void>,
): Command {
  return subcommand({
    name: "inspect",
    summary: "Validate a CXI file and summarise it (frames, geometry, scan, intensities).",
    examples: [
      "deno task inspect out/siemens.cxi",
      "deno task inspect scan.cxi --json",
    ],
  })
    .argument("<FILE>", "CXI file to inspect")
    .option("--json", "print the summary as one JSON object")
    .action(async (file: string, o: { json?: boolean }) =>
      await run(file, { json: Boolean(o.json) })
    );
}
