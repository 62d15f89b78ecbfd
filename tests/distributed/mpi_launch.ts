/**
 * Starting `reconstruct --mpi` jobs under `mpirun` on loopback for the tests, each with a
 * deadline so that a hang fails the test instead of blocking the suite. Ranks run the software
 * adapter at LP_NUM_THREADS=1 (two cores serve up to four ranks).
 */
import { runTessera } from "../cli/run.ts";
import { assertEquals } from "../assert.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const MAIN = new URL("../../src/main.ts", import.meta.url).pathname;
export const DEADLINE_MS = 240_000;

/** Exit status, output and wall time of one `mpirun`. */
export interface Launch {
  code: number;
  stdout: string;
  stderr: string;
  seconds: number;
}

/**
 * `mpirun -n ranks` of `command` (a program and its arguments), killed if it outlives the
 * deadline; `onStart` gets the child (to signal it, or its ranks).
 */
export async function mpirun(
  ranks: number,
  command: string[],
  onStart?: (child: Deno.ChildProcess) => void | Promise<void>,
): Promise<Launch> {
  const started = performance.now();
  const child = new Deno.Command("mpirun", {
    args: ["-n", String(ranks), ...command],
    cwd: ROOT,
    env: {
      LP_NUM_THREADS: "1",
      NO_COLOR: "1",
      // `deno task` needs deno on the path, as a user's shell has it.
      PATH: `${Deno.execPath().replace(/\/[^/]*$/, "")}:${Deno.env.get("PATH") ?? ""}`,
    },
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(DEADLINE_MS),
  }).spawn();
  await onStart?.(child);
  const output = await child.output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return {
    code: output.code,
    stdout: decode(output.stdout),
    stderr: decode(output.stderr),
    seconds: (performance.now() - started) / 1000,
  };
}

/** `mpirun -n ranks deno run -A src/main.ts reconstruct --mpi ...args`. */
export function mpiReconstruct(
  ranks: number,
  args: string[],
  onStart?: (child: Deno.ChildProcess) => void | Promise<void>,
): Promise<Launch> {
  return mpirun(
    ranks,
    [Deno.execPath(), "run", "-A", MAIN, "reconstruct", "--mpi", ...args],
    onStart,
  );
}

/**
 * A simulated data set (siemens star) written to `dir`, its path returned; with `positionError`,
 * its positions recorded that many pixels RMS off (`simulate --position-error`).
 */
export async function smallScan(
  dir: string,
  frame = 32,
  positions = 64,
  positionError?: number,
): Promise<string> {
  const file = positionError === undefined ? `${dir}/star.cxi` : `${dir}/shaky_star.cxi`;
  const run = await runTessera([
    "simulate",
    "--preset",
    "siemens",
    "--out",
    file,
    "--frame",
    String(frame),
    "--positions",
    String(positions),
    ...(positionError === undefined ? [] : ["--position-error", String(positionError)]),
  ]);
  assertEquals(run.code, 0, run.stderr);
  return file;
}

/**
 * The process ids of the ranks (processes of `program`, by default `src/main.ts`) whose command
 * line holds `marker` (a test's own temporary directory), with their MPI rank.
 */
export async function ranksHolding(
  marker: string,
  program = "main.ts",
): Promise<Array<{ pid: number; rank: number }>> {
  // Deno reads /proc only with every permission: ps and the shell read it here.
  const list = await new Deno.Command("sh", {
    args: [
      "-c",
      'for p in $(pgrep -f "$1"); do r=$(tr "\\0" "\\n" < /proc/$p/environ 2>/dev/null | ' +
      'sed -n "s/^PMI_RANK=//p"); c=$(tr "\\0" " " < /proc/$p/cmdline 2>/dev/null); ' +
      'case "$c" in *"$2"*) [ -n "$r" ] && echo "$p $r";; esac; done',
      "sh",
      marker,
      program,
    ],
    stdout: "piped",
  }).output();
  return new TextDecoder().decode(list.stdout).trim().split("\n").filter((l) => l)
    .map((line) => {
      const [pid, rank] = line.split(" ").map(Number);
      return { pid, rank };
    })
    .sort((a, b) => a.rank - b.rank);
}

/** Waits until `path` exists. */
export async function waitFor(path: string): Promise<void> {
  const until = Date.now() + DEADLINE_MS;
  while (!await Deno.stat(path).then(() => true, () => false)) {
    if (Date.now() > until) throw new Error(`${path} did not appear`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
