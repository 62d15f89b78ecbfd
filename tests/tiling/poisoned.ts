/** The WebAssembly tiling kernels, each run on a heap poisoned beforehand. */
import * as asm from "../../asm/tiling.wasm";
import { type TilingKernels, wasmKernels } from "../../src/tiling/mod.ts";

/** Fills the WebAssembly heap with 0xff bytes so that an element it never writes shows up. */
export const poisoned: TilingKernels = Object.fromEntries(
  Object.entries(wasmKernels).map(([name, kernel]) => [
    name,
    (...args: unknown[]) => {
      asm.reset();
      const base = asm.alloc(0) as number;
      new Uint8Array((asm.memory as WebAssembly.Memory).buffer, base).fill(0xff);
      return (kernel as (...a: unknown[]) => unknown)(...args);
    },
  ]),
) as unknown as TilingKernels;
