/**
 * `deno task reconstruct`: starts the reconstruction with the least grants its own command line
 * calls for (DESIGN section 7, Grants). A task string cannot know `--out`, so this launcher parses
 * the command line with the same parser as `tessera reconstruct`, derives the grants (write the
 * output directory; read the input, the checkpoint, the config file; listen on the live view's
 * address) and re-runs `deno run` with those alone on `src/main.ts`.
 *
 * The launcher itself holds read access (for `--config` and `--resume`, whose checkpoint names
 * the input and output of the run it continues), the two variables the YAML parser reads, and may
 * start `deno`: no writing, no network, no other environment. Ctrl-C reaches the reconstruction directly (same process group), so the
 * launcher ignores it and waits; SIGTERM is passed on. A `deno compile`d binary has its grants
 * baked in and does not use this launcher (docs/usage.md, The single binary).
 */
import { Command, CommanderError } from "commander";
import { usageErrors } from "./cli/command.ts";
import { type OutputOptions, reconstructCommand } from "./cli/reconstruct.ts";
import { checkpointOptions } from "./engine/checkpoint.ts";
import { grantFlags, type Grants, grantsFor } from "./engine/grants.ts";
import { outputDirectory, type ReconstructOptions } from "./engine/options.ts";

/** The grants of the run `args` (`reconstruct ...`) describes, or an exit status to end with. */
export async function launchGrants(args: string[]): Promise<Grants | number> {
  let parsed: { options: ReconstructOptions; output: OutputOptions } | null = null;
  const command = reconstructCommand((options, output) => {
    parsed = { options, output };
    return Promise.resolve();
  });
  const program = usageErrors(new Command("tessera").helpCommand(false)).addCommand(command);
  try {
    await program.parseAsync(args, { from: "user" });
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    // Commander has printed the help, the version or the usage error.
    return error.code === "commander.helpDisplayed" || error.code === "commander.version" ? 0 : 2;
  }
  if (parsed === null) return 0;
  const { options, output } = parsed as { options: ReconstructOptions; output: OutputOptions };
  let effective: Pick<ReconstructOptions, "input" | "out"> = options;
  if (options.resume) {
    const saved = await checkpointOptions(options.resume);
    effective = {
      input: typeof saved?.input === "string" ? saved.input : null,
      out: options.out ?? (typeof saved?.out === "string" ? saved.out : options.resume),
    };
  }
  return grantsFor({
    input: effective.input,
    out: outputDirectory(effective),
    resume: options.resume,
    config: output.config,
    serve: output.serve,
    mpi: output.mpi,
  });
}

/**
 * The launcher's exit status for the run's: the same, except that an MPI rank (`--mpi`) ended by
 * a signal ends with status 1 and says so, naming its rank (`PMI_RANK`, as `mpirun` and `srun`
 * set it). (`mpirun` reports the first status it learns: this 1, or 9 when it has killed the other
 * ranks first.) A rank killed from outside is the job's failure: `error: Rank r was killed by
 * SIGNAL`. A rank that aborted itself (SIGABRT) has already printed why, and is most often a
 * survivor: its MPI library aborts it when a peer that failed first vanished in the middle of a
 * message (UCX does so in a cross-memory copy), so it gets a note, not a second error line, and
 * its launcher waits {@link ABORT_GRACE_MS} first (see the entry point).
 */
export function rankStatus(status: Deno.CommandStatus, mpi: boolean): number {
  if (status.signal === null || !mpi) return status.code;
  const granted = Deno.permissions.querySync({ name: "env", variable: "PMI_RANK" });
  const rank = (granted.state === "granted" ? Deno.env.get("PMI_RANK") : undefined) ?? "?";
  if (status.signal === "SIGABRT") {
    console.error(`note: Rank ${rank} aborted (SIGABRT); its reason is printed above`);
  } else {
    console.error(`error: Rank ${rank} was killed by ${status.signal}; the job ends`);
  }
  return 1;
}

/**
 * How long the launcher of an MPI rank that aborted itself waits before it exits: the peer whose
 * failure made it abort must be first to report and exit, or `mpirun`'s teardown may end that
 * peer's launcher before it names the rank that really failed.
 */
export const ABORT_GRACE_MS = 2000;

/** The Deno executable to re-run: this one when the launcher may start it, else `deno`. */
function denoExecutable(): string {
  const self = Deno.execPath();
  const state = Deno.permissions.querySync({ name: "run", command: self }).state;
  return state === "granted" ? self : "deno";
}

if (import.meta.main) {
  const grants = await launchGrants(Deno.args);
  if (typeof grants === "number") {
    Deno.exitCode = grants;
  } else {
    let flags: string[] = [];
    try {
      flags = grantFlags(grants);
    } catch (error) {
      console.error(`error: ${(error as Error).message}`);
      Deno.exit(2);
    }
    const main = new URL("./main.ts", import.meta.url);
    const child = new Deno.Command(denoExecutable(), {
      args: ["run", ...flags, decodeURIComponent(main.pathname), ...Deno.args],
    }).spawn();
    const ignore = () => {};
    const terminate = () => child.kill("SIGTERM");
    Deno.addSignalListener("SIGINT", ignore);
    Deno.addSignalListener("SIGTERM", terminate);
    const status = await child.status;
    Deno.removeSignalListener("SIGINT", ignore);
    Deno.removeSignalListener("SIGTERM", terminate);
    if (grants.ffi && status.signal === "SIGABRT") {
      await new Promise((resolve) => setTimeout(resolve, ABORT_GRACE_MS));
    }
    Deno.exitCode = rankStatus(status, grants.ffi);
  }
}
