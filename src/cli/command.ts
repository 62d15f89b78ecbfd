/**
 * What every Tessera subcommand shares: `--version`, `--config`, help that shows defaults and
 * examples, and usage errors that print the command's help followed by `error: ...` (exit 2).
 */
import { Command } from "commander";
import { applyConfig } from "./config.ts";
import { VERSION } from "../engine/version.ts";

/** Options of {@link subcommand}. */
export interface SubcommandOptions {
  name: string;
  summary: string;
  /** Lines of the help's "Examples:" section, each a command line. */
  examples: string[];
  /** Adds `--config FILE` (commands with many options). */
  config?: boolean;
}

/** A subcommand with Tessera's shared conventions. */
export function subcommand(options: SubcommandOptions): Command {
  const command = new Command(options.name)
    .description(options.summary)
    .version(VERSION, "-V, --version", "print the version and exit")
    .helpOption("-h, --help", "print this help and exit")
    .addHelpText("after", `\nExamples:\n${options.examples.map((e) => `  ${e}`).join("\n")}\n`);
  usageErrors(command);
  if (options.config) {
    command
      .option(
        "--config <FILE>",
        "read option values from a JSON or YAML file (the command line wins)",
      )
      .hook("preAction", applyConfig);
  }
  return command;
}

/**
 * Makes `command`'s usage errors print its usage line, the help of the option at fault (when the
 * error names one), where to find the full help, then the `error: ...` line; the CLI exits 2.
 */
export function usageErrors(command: Command): Command {
  return command
    .exitOverride()
    .configureOutput({
      outputError: (message, write) => write(usageHelp(command, message) + message),
      // Tessera's help has no colours. Commander's own check reads FORCE_COLOR and CLICOLOR_FORCE,
      // which the launcher's narrow grants do not include: asking would abort `--help`.
      getOutHasColors: () => false,
      getErrHasColors: () => false,
    });
}

function usageHelp(command: Command, message: string): string {
  const help = command.createHelp();
  const lines = [`Usage: ${help.commandUsage(command)}`, ""];
  const flag = /'(--?[\w-]+)/.exec(message)?.[1];
  const option = flag
    ? command.options.find((o) => o.long === flag || o.short === flag)
    : undefined;
  if (option) {
    lines.push(`  ${help.optionTerm(option)}  ${help.optionDescription(option)}`, "");
  }
  const path = [];
  for (let c: Command | null = command; c; c = c.parent) path.unshift(c.name());
  lines.push(`Run '${path.join(" ")} --help' for all options and examples.`, "");
  return lines.join("\n");
}
