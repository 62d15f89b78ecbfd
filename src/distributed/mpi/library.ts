/**
 * The MPI library through Deno's FFI: the functions Tessera calls and the MPICH ABI's integer
 * handles. The MPICH ABI is shared by MPICH, Cray MPICH, Intel MPI and MVAPICH, so one binding
 * serves most supercomputers; Open MPI's ABI (handles are pointers) is not supported.
 */
import { InputError } from "../../data/errors.ts";

/** The environment variable naming the MPI library, and its default. */
export const MPI_LIB_VARIABLE = "TESSERA_MPI_LIB";
export const DEFAULT_MPI_LIB = "libmpich.so.12";

/** MPICH ABI handles and constants (from MPICH's `mpi.h`). */
export const MPI = {
  COMM_WORLD: 0x44000000,
  BYTE: 0x4c00010d,
  DOUBLE: 0x4c00080b,
  SUCCESS: 0,
  ANY_SOURCE: -2,
  THREAD_SERIALIZED: 2,
  THREAD_MULTIPLE: 3,
  /** Bytes of an `MPI_Status` (five ints: count_lo, count_hi_and_cancelled, source, tag, error). */
  STATUS_BYTES: 20,
  /** Int index of the source rank in an `MPI_Status`. */
  STATUS_SOURCE: 2,
} as const;

const symbols = {
  MPI_Init_thread: { parameters: ["pointer", "pointer", "i32", "buffer"], result: "i32" },
  MPI_Query_thread: { parameters: ["buffer"], result: "i32" },
  MPI_Comm_rank: { parameters: ["i32", "buffer"], result: "i32" },
  MPI_Comm_size: { parameters: ["i32", "buffer"], result: "i32" },
  MPI_Gatherv: {
    parameters: ["buffer", "i32", "i32", "buffer", "buffer", "buffer", "i32", "i32", "i32"],
    result: "i32",
    nonblocking: true,
  },
  // The collectives a rank waits in every iteration start without blocking; `MpiWorld.complete`
  // polls them (a blocking call spins in the library, taking a core from the ranks computing).
  MPI_Iallgatherv: {
    parameters: ["buffer", "i32", "i32", "buffer", "buffer", "buffer", "i32", "i32", "buffer"],
    result: "i32",
  },
  MPI_Ibcast: { parameters: ["buffer", "i32", "i32", "i32", "i32", "buffer"], result: "i32" },
  MPI_Ibarrier: { parameters: ["i32", "buffer"], result: "i32" },
  MPI_Isend: {
    parameters: ["buffer", "i32", "i32", "i32", "i32", "i32", "buffer"],
    result: "i32",
  },
  MPI_Test: { parameters: ["buffer", "buffer", "pointer"], result: "i32" },
  MPI_Recv: {
    parameters: ["buffer", "i32", "i32", "i32", "i32", "i32", "pointer"],
    result: "i32",
    nonblocking: true,
  },
  MPI_Iprobe: { parameters: ["i32", "i32", "i32", "buffer", "buffer"], result: "i32" },
  MPI_Get_count: { parameters: ["buffer", "i32", "buffer"], result: "i32" },
  MPI_Abort: { parameters: ["i32", "i32"], result: "i32" },
  MPI_Finalize: { parameters: [], result: "i32", nonblocking: true },
} as const satisfies Deno.ForeignLibraryInterface;

/** The loaded library's functions. */
export type MpiSymbols = Deno.DynamicLibrary<typeof symbols>["symbols"];

/** `MPI_STATUS_IGNORE`, the address 1 in MPICH's ABI (made on use: it needs --allow-ffi). */
export function statusIgnore(): Deno.PointerValue {
  return Deno.UnsafePointer.create(1n);
}

/**
 * Opens the MPI library named by `TESSERA_MPI_LIB` (default `libmpich.so.12`).
 *
 * @throws {InputError} naming the variable and the path when it cannot be loaded.
 * @example
 * ```ts ignore
 * const mpi = openMpiLibrary();
 * ```
 */
export function openMpiLibrary(path = mpiLibraryPath()): MpiSymbols {
  try {
    return Deno.dlopen(path, symbols).symbols;
  } catch (error) {
    // A missing --allow-ffi grant is the command's fault, not the library's: let it say so.
    if (error instanceof Deno.errors.NotCapable) throw error;
    const why = error instanceof Error ? error.message : String(error);
    throw new InputError(
      `Cannot load the MPI library "${path}" (from ${MPI_LIB_VARIABLE}, default ` +
        `${DEFAULT_MPI_LIB}): ${why}. Expected an MPICH-ABI library (MPICH, Cray MPICH, Intel ` +
        `MPI, MVAPICH): install one (Debian: apt-get install mpich) or set ${MPI_LIB_VARIABLE} ` +
        `to its full path.`,
      path,
    );
  }
}

/**
 * Checks, before `MPI_Init`, that this process still holds the socket hydra (`mpirun`) opened for
 * it, numbered in `PMI_FD`. `npx` (npm's node) closes it before Deno starts, and `MPI_Init` then
 * talks to whatever Deno opened under that number and aborts with `PMI_Get_appnum returned -1`.
 * An inherited descriptor is never close-on-exec; Deno's own are. Skipped when `PMI_FD` is unset
 * or not readable, or without glibc.
 *
 * @throws {InputError} naming `-pmi-port`, which passes the address in a variable instead.
 */
export function checkPmiSocket(): void {
  const granted = Deno.permissions.querySync({ name: "env", variable: "PMI_FD" });
  const fd = Number(granted.state === "granted" ? Deno.env.get("PMI_FD") : undefined);
  if (!Number.isInteger(fd) || fd < 0) return;
  let libc: Deno.DynamicLibrary<{ fcntl: { parameters: ["i32", "i32"]; result: "i32" } }>;
  try {
    libc = Deno.dlopen("libc.so.6", { fcntl: { parameters: ["i32", "i32"], result: "i32" } });
  } catch {
    return;
  }
  // fcntl(fd, F_GETFD): -1 when not open, else its flags (FD_CLOEXEC = 1).
  const flags = libc.symbols.fcntl(fd, 1);
  libc.close();
  if (flags >= 0 && (flags & 1) === 0) return;
  throw new InputError(
    `This MPI rank did not receive mpirun's socket (PMI_FD=${fd} is not the descriptor hydra ` +
      "opened): a program between mpirun and Deno closed it, as npx does. Give mpirun " +
      "-pmi-port, so that ranks reach hydra over a port (mpirun -pmi-port -n R npx -y " +
      "deno@2.9.6 task reconstruct:mpi ...), or start deno directly (mpirun -n R deno task " +
      "reconstruct:mpi ...).",
  );
}

/** The library path: `TESSERA_MPI_LIB` when set and not empty, else `libmpich.so.12`. */
export function mpiLibraryPath(): string {
  const fromEnv = Deno.env.get(MPI_LIB_VARIABLE);
  return fromEnv && fromEnv.length > 0 ? fromEnv : DEFAULT_MPI_LIB;
}

/** Throws when an MPI call did not return `MPI_SUCCESS`, naming the call. */
export function check(call: string, code: number): void {
  if (code !== MPI.SUCCESS) throw new Error(`${call} failed with MPI error code ${code}`);
}
