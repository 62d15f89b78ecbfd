/** The `mpi` transport: an MPICH-ABI library through Deno's FFI, and the collectives over it. */
export * from "./library.ts";
export * from "./polling.ts";
export * from "./world.ts";
export * from "./collectives.ts";
