/** `tessera inspect FILE`: validates a CXI file and summarises it. */
import type { Command } from "commander";
import { subcommand } from "./command.ts";
import { geometryOptionList, type GeometryOptions, geometryOptions } from "./geometry.ts";

/** What `inspect` was asked for beside the file. */
export interface InspectCliOptions extends GeometryOptions {
  json: boolean;
}

/** The `inspect` command; `run` receives the file and its options. */
export function inspectCommand(
  run: (file: string, options: InspectCliOptions) => Promise<void>,
): Command {
  const command = subcommand({
    name: "inspect",
    summary: "Validate a CXI file and summarise it (frames, geometry, scan, intensities).",
    examples: [
      "deno task inspect out/siemens.cxi",
      "deno task inspect scan.cxi --json",
      "deno task inspect scan.cxi --propagation near --focus-distance 3.65e-3",
    ],
  })
    .argument("<FILE>", "CXI file to inspect")
    .option("--json", "print the summary as one JSON object");
  for (const option of geometryOptionList()) command.addOption(option);
  return command.action(async (file: string, o: Record<string, unknown>) =>
    await run(file, { json: Boolean(o.json), ...geometryOptions(command, o) })
  );
}
