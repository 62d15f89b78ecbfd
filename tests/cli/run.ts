/** Runs the `tessera` CLI as a subprocess, the way `deno task` does, and collects its output. */
import { ENV_VARIABLES } from "../../src/engine/grants.ts";

/** Exit status and output of one run. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

const MAIN = new URL("../../src/main.ts", import.meta.url).pathname;
const ROOT = new URL("../../", import.meta.url).pathname;

/** Options of {@link runTessera}. */
export interface RunTesseraOptions {
  /** Deno permission flags (default: everything, as `deno task test` grants). */
  permissions?: string[];
  env?: Record<string, string>;
  cwd?: string;
}

/** Runs `deno run <permissions> src/main.ts ...args` with piped (non-terminal) output. */
export async function runTessera(args: string[], o: RunTesseraOptions = {}): Promise<CliRun> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...(o.permissions ?? ["-A"]), MAIN, ...args],
    cwd: o.cwd ?? ROOT,
    env: { NO_COLOR: "1", ...o.env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

/**
 * The permission flags of `deno task <task>` as deno.json grants them, so tests run with exactly
 * what users get; `write` replaces the task's write grant (tests write into temp directories).
 * `reconstruct`'s task is a launcher (src/launch.ts) that derives the run's grants from its
 * options: here the run's environment grant, reading anywhere and writing `write` (or `out`);
 * tests of the launcher itself run the task.
 */
export function taskPermissions(task: string, write?: string): string[] {
  if (task === "reconstruct") {
    return ["--allow-read", `--allow-write=${write ?? "out"}`, `--allow-env=${ENV_VARIABLES}`];
  }
  const config = JSON.parse(Deno.readTextFileSync(new URL("deno.json", `file://${ROOT}`)));
  const flags = (config.tasks[task] as string).split(/\s+/).filter((t) => t.startsWith("--allow"));
  if (write === undefined) return flags;
  return [...flags.filter((f) => !f.startsWith("--allow-write")), `--allow-write=${write}`];
}
