/**
 * The permissions one reconstruction runs with, derived from its own options (DESIGN section 7,
 * Grants): read its input, its checkpoint and its config file, write its output directory, read
 * the environment variables of the GPU stack and the terminal, listen on the live view's address,
 * and nothing else. `src/launch.ts` starts the run with exactly these; the run records in
 * `report.json` which of them it holds.
 */
import { MPI_LIB_VARIABLE } from "../distributed/mpi/library.ts";
import type { ServeAddress } from "../serve/address.ts";

/**
 * Environment variables a run reads: the GPU stack's, the terminal's, then the debug switches the
 * YAML parser reads whenever it parses a `--config` file (it fails without access to them).
 */
export const ENV_VARIABLES = [
  "DENO_WEBGPU_BACKEND",
  "XDG_RUNTIME_DIR",
  "HOME",
  "LP_NUM_THREADS",
  "MESA_SHADER_CACHE_DIR",
  "MESA_SHADER_CACHE_DISABLE",
  "VK_ICD_FILENAMES",
  "TERM",
  "NO_COLOR",
  "FORCE_COLOR",
  "CLICOLOR_FORCE",
  "COLUMNS",
  "LOG_TOKENS",
  "LOG_STREAM",
] as const;

/**
 * Files the run reads besides its inputs: the process's own status (peak RSS) and its threads'
 * CPU times (the tiled engine's busy fractions).
 */
export const SYSTEM_READS = ["/proc/self/status", "/proc/thread-self/stat"] as const;

/**
 * Tessera's own code, which worker threads load as files (a worker's module needs read access
 * when it is a local file): `src/`, the WGSL kernels and the WebAssembly tiling module.
 */
export const PROGRAM_READS = ["../", "../../wgsl/", "../../asm/"].map((relative) =>
  decodeURIComponent(new URL(relative, import.meta.url).pathname).replace(/\/$/, "")
);

/** Paths and addresses a run may use; `"*"` alone means anywhere. */
export interface Grants {
  read: string[];
  write: string[];
  env: string[];
  /** `HOST:PORT` the live view listens on; empty without `--serve`. */
  net: string[];
  /** Whether the run may load native libraries: an MPI rank (`--mpi`) loads `libmpi`. */
  ffi: boolean;
}

/** What the grants are derived from. */
export interface GrantSources {
  /** CXI file read (null for the built-in demo). */
  input: string | null;
  /** Output directory written. */
  out: string;
  /** Checkpoint or output directory resumed from. */
  resume: string | null;
  /** `--config` file. */
  config: string | null;
  /** Live view address. */
  serve: ServeAddress | null;
  /** One rank of an MPI job (`--mpi`): FFI for the MPI library, whose path is in an variable. */
  mpi?: boolean;
}

/** The least grants that let a run with these sources do its work. */
export function grantsFor(s: GrantSources): Grants {
  const read = [s.input, s.resume, s.config, s.out, ...SYSTEM_READS, ...PROGRAM_READS]
    .filter((path): path is string => path !== null);
  return {
    read: [...new Set(read)],
    write: [s.out],
    env: s.mpi ? [...ENV_VARIABLES, MPI_LIB_VARIABLE, "PMI_FD"] : [...ENV_VARIABLES],
    net: s.serve ? [hostPort(s.serve)] : [],
    ffi: s.mpi ?? false,
  };
}

/** `host:port`, with an IPv6 host in brackets as Deno's `--allow-net` expects. */
export function hostPort(address: { hostname: string; port: number }): string {
  const host = address.hostname.includes(":") ? `[${address.hostname}]` : address.hostname;
  return `${host}:${address.port}`;
}

/**
 * `deno run` flags granting exactly `grants`. Deno splits a flag's list on commas, so a path
 * holding a comma cannot be granted by name.
 *
 * @throws {RangeError} naming such a path.
 */
export function grantFlags(grants: Grants): string[] {
  const list = (kind: string, items: string[]) => {
    const bad = items.find((item) => item.includes(","));
    if (bad) {
      throw new RangeError(
        `Cannot grant ${kind} access to ${bad}: Deno permission lists are comma-separated, so ` +
          "the path may not contain a comma; rename it or choose another directory",
      );
    }
    return items.length ? [`--allow-${kind}=${items.join(",")}`] : [];
  };
  return [
    ...list("read", grants.read),
    ...list("write", grants.write),
    ...list("env", grants.env),
    ...list("net", grants.net),
    ...(grants.ffi ? ["--allow-ffi"] : []),
  ];
}

/** The grants a run held, as `report.json` records them (`"permissions"`). */
export type GrantsInForce = Grants & { run: boolean; sys: boolean };

/**
 * The grants this process holds among `expected` (as `report.json` records them): a kind
 * granted without restriction is `["*"]`, otherwise the expected entries actually granted.
 * Subprocesses and FFI are recorded as booleans, so a run with a broader grant shows it.
 */
export async function grantsInForce(
  expected: Grants,
): Promise<GrantsInForce> {
  const granted = async (descriptor: Deno.PermissionDescriptor) =>
    (await Deno.permissions.query(descriptor)).state === "granted";
  const kind = async (
    name: "read" | "write" | "env" | "net",
    items: string[],
    descriptor: (item: string) => Deno.PermissionDescriptor,
  ) => {
    if (await granted({ name })) return ["*"];
    const held: string[] = [];
    for (const item of items) if (await granted(descriptor(item))) held.push(item);
    return held;
  };
  return {
    read: await kind("read", expected.read, (path) => ({ name: "read", path })),
    write: await kind("write", expected.write, (path) => ({ name: "write", path })),
    env: await kind("env", expected.env, (variable) => ({ name: "env", variable })),
    net: await kind("net", expected.net, (host) => ({ name: "net", host })),
    run: await granted({ name: "run" }),
    ffi: await granted({ name: "ffi" }),
    sys: await granted({ name: "sys" }),
  };
}
