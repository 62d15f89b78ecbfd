/**
 * `runCli(args)`: parses a command line, runs the command and turns its outcome into an exit
 * status. Usage errors (commander's, printed with the command's help) and {@link InputError}s
 * (one paragraph, no stack trace) exit 2; anything else is a bug and keeps its stack trace
 * (exit 1).
 */
import { Command, CommanderError } from "commander";
import { InputError } from "../data/errors.ts";
import { WIDEN_WRITE_HINT } from "../engine/permissions.ts";
import { usageErrors } from "./command.ts";
import { inspectCommand } from "./inspect.ts";
import { reconstructCommand } from "./reconstruct.ts";
import { ExitStatus, runInspect, runReconstruct } from "./actions.ts";
import { runSimulate } from "./run_simulate.ts";
import { simulateCommand } from "./simulate.ts";
import { VERSION } from "../engine/version.ts";

/** Why a run may not listen where it tried, for the NotCapable error. */
const NET_HINT = "A run may listen only on its --serve address: `deno task reconstruct` grants " +
  "exactly that, and a compiled binary loopback unless built with --allow-net=HOSTS.";

/** Builds the `tessera` program. */
export function buildProgram(): Command {
  const program = new Command("tessera")
    .description("Ptychographic reconstruction on WebGPU, tiled across workers and devices.")
    .version(VERSION, "-V, --version", "print the version and exit")
    .helpOption("-h, --help", "print this help and exit")
    .helpCommand(false)
    .enablePositionalOptions();
  usageErrors(program);
  program
    .addCommand(reconstructCommand(runReconstruct))
    .addCommand(simulateCommand(runSimulate))
    .addCommand(inspectCommand(runInspect));
  return program;
}

/** Runs `tessera` with `args` (without the program name) and returns the exit status. */
export async function runCli(args: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(args, { from: "user" });
    return 0;
  } catch (error) {
    return exitStatus(error);
  }
}

/** Prints what the user needs to see about `error` and returns the exit status. */
export function exitStatus(error: unknown): number {
  if (error instanceof ExitStatus) return error.status;
  if (error instanceof CommanderError) {
    // Commander has already printed the help or the error with the command's help.
    const clean = error.code === "commander.helpDisplayed" || error.code === "commander.version";
    return clean ? 0 : 2;
  }
  if (error instanceof InputError) {
    console.error(`error: ${error.message}`);
    return 2;
  }
  if (error instanceof Deno.errors.NotCapable) {
    // A permission the deno task does not grant: the user's setup, not a bug.
    const hint = /net access/.test(error.message) ? NET_HINT : WIDEN_WRITE_HINT;
    console.error(`error: ${error.message}. ${hint}`);
    return 2;
  }
  console.error(error);
  return 1;
}
