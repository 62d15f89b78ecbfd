import type { Gpu } from "../gpu/mod.ts";

/** What a {@link BatchWorkspace} is sized for: the largest batch of any problem using it. */
export interface WorkspaceSize {
  /** Frame size M. */
  frame: number;
  /** Positions per batch, at most. */
  maxBatch: number;
  /** Probe modes K and object slices S. */
  modes: number;
  slices: number;
}

/**
 * The batch-sized buffers of an evaluation: the waves of a batch (maxBatch x K x M x M), the
 * stored input of every slice (S times that) and, when first asked for, the object patches
 * (maxBatch x M x M). Several problems on one device may share one workspace (a worker's tiles):
 * an evaluation records every use of these buffers without an await in between, into the
 * device's single command encoder, so the device runs one problem's batch after another's and
 * never interleaves them, whatever order the problems' solvers step in.
 */
export class BatchWorkspace {
  /** The waves of one batch, maxBatch x K x M x M complex. */
  readonly work: GPUBuffer;
  /** The stored input wave of every slice, S x maxBatch x K x M x M complex. */
  readonly waves: GPUBuffer;
  #patch: GPUBuffer | null = null;

  constructor(private readonly gpu: Gpu, readonly size: WorkspaceSize) {
    const { frame, maxBatch, modes, slices } = size;
    const wave = 8 * maxBatch * modes * frame * frame;
    this.work = gpu.buffer(wave, "batch work");
    this.waves = gpu.buffer(slices * wave, "batch stored waves");
  }

  /** Object patches of a batch (maxBatch x M x M), allocated when first needed. */
  get patch(): GPUBuffer {
    const { frame, maxBatch } = this.size;
    return this.#patch ??= this.gpu.buffer(8 * maxBatch * frame * frame, "batch object patches");
  }

  /** Whether a problem of these dimensions fits (same frame, no more batch, modes or slices). */
  holds(size: WorkspaceSize): boolean {
    const s = this.size;
    return size.frame === s.frame && size.maxBatch <= s.maxBatch && size.modes <= s.modes &&
      size.slices <= s.slices;
  }

  destroy(): void {
    this.gpu.release(this.work, this.waves, this.#patch);
    this.#patch = null;
  }
}
