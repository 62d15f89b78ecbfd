/**
 * `--config FILE`: option values read from a JSON or YAML file. Keys are the long option names
 * (`iterations`, `refine-probe-from` or `refineProbeFrom`); values go through the same parsers
 * and choices as on the command line, and an option given on the command line wins.
 */
import { type Command, InvalidArgumentError, type Option } from "commander";
import { parse as parseYaml } from "yaml";

/** Reads the config file named by `--config` (if any) into the options of `command`. */
export async function applyConfig(command: Command): Promise<void> {
  const file = command.getOptionValue("config") as string | undefined;
  if (!file) return;
  const values = await readConfig(command, file);
  for (const [key, raw] of Object.entries(values)) {
    const option = findOption(command, key);
    if (!option) {
      command.error(`error: unknown option '${key}' in config file ${file}`, usage);
    }
    const name = option.attributeName();
    if (command.getOptionValueSource(name) === "cli") continue;
    // `no-defocus-search: true` says what `--no-defocus-search` does: the attribute is false.
    const negated = option.negate && option.long === `--${key}`;
    const value = convert(command, option, raw, file);
    command.setOptionValueWithSource(name, negated ? !value : value, "config");
  }
}

const usage = { exitCode: 2, code: "tessera.config" };

async function readConfig(command: Command, file: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (error) {
    const reason = error instanceof Deno.errors.NotFound ? "it does not exist" : String(error);
    return command.error(`error: cannot read config file ${file}: ${reason}`, usage);
  }
  let values: unknown;
  try {
    // YAML's failsafe schema keeps every scalar as written: `tiles: 0x2` must reach the tile
    // parser as "0x2", not as the hexadecimal number 2.
    values = /\.json$/i.test(file) ? JSON.parse(text) : parseYaml(text, { schema: "failsafe" });
  } catch (error) {
    const message = error instanceof Error ? error.message.split("\n")[0] : String(error);
    return command.error(`error: config file ${file} is not valid JSON or YAML: ${message}`, usage);
  }
  if (values === null || values === undefined) return {};
  if (typeof values !== "object" || Array.isArray(values)) {
    return command.error(
      `error: config file ${file} must hold a mapping of option names to values`,
      usage,
    );
  }
  return values as Record<string, unknown>;
}

function findOption(command: Command, key: string): Option | undefined {
  const option = command.options.find((o) => o.long === `--${key}` || o.attributeName() === key);
  return option && option.attributeName() !== "config" ? option : undefined;
}

function convert(command: Command, option: Option, raw: unknown, file: string): unknown {
  const where = `option '${option.long?.slice(2)}' in config file ${file}`;
  if (option.isBoolean() || option.negate) {
    if (raw !== true && raw !== false && raw !== "true" && raw !== "false") {
      command.error(`error: ${where} must be true or false, got ${JSON.stringify(raw)}`, usage);
    }
    return raw === true || raw === "true";
  }
  const text = Array.isArray(raw) ? raw.join("x") : String(raw);
  if (option.argChoices && !option.argChoices.includes(text)) {
    command.error(
      `error: ${where}: '${text}' is invalid. Allowed choices are ${option.argChoices.join(", ")}.`,
      usage,
    );
  }
  try {
    return option.parseArg ? option.parseArg(text, undefined as unknown as string) : text;
  } catch (error) {
    if (error instanceof InvalidArgumentError) {
      command.error(`error: ${where}: '${text}' is invalid. ${error.message}`, usage);
    }
    throw error;
  }
}
