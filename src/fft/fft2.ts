import type { Binding, Gpu } from "../gpu/mod.ts";
import { unrolledPassWgsl } from "./_codegen.ts";
import {
  type FftDesign,
  MAX_N,
  passParams,
  type PassPlan,
  planAxis,
  twiddleTable,
  WORKGROUP_CAPACITY,
} from "./_plan.ts";
import workgroupCode from "../../wgsl/fft_workgroup.wgsl" with { type: "text" };

export type { FftDesign } from "./_plan.ts";

/** Per-call options of {@link Fft2.forward} and {@link Fft2.inverse}. */
export interface FftOptions {
  /** Apply ifftshift to the input before transforming (zero frequency at pixel (n/2, n/2)). */
  shiftInput?: boolean;
  /** Apply fftshift to the output (zero frequency moved to pixel (n/2, n/2)). */
  shiftOutput?: boolean;
  /** Byte offsets into src/dst (multiples of 8 * n * n). */
  srcOffset?: number;
  dstOffset?: number;
  /**
   * Elementwise work done by the transform's first loads and/or last stores (see
   * {@link Fft2.fuse}); not with offsets. With `load`, src is read only by the fusion.
   */
  fusion?: FusionCall;
}

/** WGSL of a fusion: see `PassFusion` in `_codegen.ts` for what `code` defines. */
export interface FftFusion {
  /** Names its pipelines. */
  name: string;
  code: string;
  /** Which passes to compile: the first with `fused_load`, the last with `fused_store`. */
  load: boolean;
  store: boolean;
  /** Values of the code's `override` constants. */
  constants?: Record<string, number>;
}

/** A fusion compiled for one plan by {@link Fft2.fuse}. */
export interface FusedPasses {
  readonly name: string;
  readonly load: GPUComputePipeline | null;
  readonly store: GPUComputePipeline | null;
  /** Invocations of the storing pass per frame: each calls `fused_finish` once. */
  readonly storeInvocationsPerFrame: number;
}

/**
 * What one transform fuses: the compiled passes and, for the fused loads and/or stores, their
 * bindings from number 4 on (null for a number the pass does not use).
 */
export interface FusionCall {
  passes: FusedPasses;
  load?: (Binding | null)[];
  store?: (Binding | null)[];
}

/** Options of {@link Fft2.create}. */
export interface Fft2CreateOptions {
  /**
   * `unrolled`: each invocation runs a whole line (or a radix-32 step of one) as generated
   * straight-line code, fastest on the software adapter. `workgroup`: lines in workgroup memory,
   * radix-4 stages, for real GPUs (n <= 1024). `auto` (default) picks by `gpu.info.fallback`.
   */
  design?: FftDesign | "auto";
}

interface Pass {
  plan: PassPlan;
  pipeline: GPUComputePipeline;
}

/**
 * A plan for batched unitary 2D FFTs of n x n complex64 frames (interleaved re, im, row-major).
 * Forward uses exp(-2 pi i k x / n); both directions scale by 1 / n, so sum |F psi|^2 =
 * sum |psi|^2. fftshift / ifftshift are folded into the loads and stores when requested.
 *
 * @example
 * ```ts
 * const gpu = await requestGpu();
 * const fft = await Fft2.create(gpu, 256);
 * const frames = gpu.upload(new Float32Array(2 * 256 * 256 * 8).fill(1), "frames");
 * fft.forward(frames, frames, 8, { shiftOutput: true });
 * const spectrum = await gpu.readF32(frames);
 * fft.destroy();
 * ```
 */
export class Fft2 {
  /** The design chosen (resolved from `auto`). */
  readonly design: FftDesign;
  #passes: readonly Pass[];
  #scratch: GPUBuffer | null = null;
  #twiddles: GPUBuffer;

  private constructor(readonly gpu: Gpu, readonly n: number, design: FftDesign, passes: Pass[]) {
    this.design = design;
    this.#passes = passes;
    this.#twiddles = gpu.upload(twiddleTable(n), `fft${n} twiddles`);
  }

  /**
   * Plans the transform of n x n frames and compiles every pipeline it needs (including the
   * driver's compilation at first use, which is why it submits and waits for the work recorded so
   * far), so that {@link forward} and {@link inverse} only record.
   *
   * @throws {RangeError} when n is not a power of two in 2..2048 (2..1024 for `workgroup`).
   */
  static async create(gpu: Gpu, n: number, options: Fft2CreateOptions = {}): Promise<Fft2> {
    if (!Number.isInteger(n) || n < 2 || n > MAX_N || (n & (n - 1)) !== 0) {
      throw new RangeError(`Cannot plan an FFT of ${n} x ${n}: expected a power of two in 2..2048`);
    }
    const requested = options.design ?? "auto";
    if (requested === "workgroup" && n > WORKGROUP_CAPACITY) {
      throw new RangeError(
        `Cannot plan a workgroup FFT of ${n} x ${n}: lines longer than ${WORKGROUP_CAPACITY} ` +
          `do not fit in workgroup memory; use the unrolled design`,
      );
    }
    // Real GPUs get the workgroup design where lines fit in workgroup memory.
    const design: FftDesign = requested !== "auto"
      ? requested
      : (gpu.info.fallback || n > WORKGROUP_CAPACITY ? "unrolled" : "workgroup");
    const plans = planAxis(n, design);
    const passes = await Promise.all(plans.map(async (plan) => ({
      plan,
      pipeline: await (design === "workgroup"
        ? gpu.pipeline({ file: "wgsl/fft_workgroup.wgsl", code: workgroupCode })
        : gpu.pipeline({
          file: `generated:fft-radix${plan.radix}${plan.twiddled ? "-twiddled" : ""}`,
          code: unrolledPassWgsl(plan.radix, plan.twiddled),
        })),
    })));
    const fft = new Fft2(gpu, n, design, passes);
    await fft.#warmUp();
    return fft;
  }

  /**
   * Records a unitary forward 2D FFT of `batch` frames from `src` into `dst`. Nothing is submitted,
   * except when a larger batch than before makes the plan's scratch buffer grow: the work already
   * recorded is then submitted before the old scratch is released. `src === dst` (in place) is
   * allowed.
   *
   * @throws {RangeError} when an offset is not a multiple of 8 n^2 or the frames exceed a buffer.
   */
  forward(src: GPUBuffer, dst: GPUBuffer, batch: number, options: FftOptions = {}): void {
    this.#record(src, dst, batch, options, false);
  }

  /** Records the unitary inverse of {@link forward} (kernel exp(+2 pi i k x / n)). */
  inverse(src: GPUBuffer, dst: GPUBuffer, batch: number, options: FftOptions = {}): void {
    this.#record(src, dst, batch, options, true);
  }

  /**
   * Compiles a fusion's first (loading) and last (storing) passes for this plan, or returns null
   * for the workgroup design, whose callers run their elementwise kernels apart. The pipelines
   * compile at their first dispatch.
   */
  async fuse(fusion: FftFusion): Promise<FusedPasses | null> {
    if (this.design !== "unrolled") return null;
    const first = this.#passes[0].plan;
    const last = this.#passes[this.#passes.length - 1].plan;
    const compile = (plan: PassPlan, load: boolean) => {
      const kind = `${plan.twiddled ? "-twiddled" : ""}-${fusion.name}-${load ? "load" : "store"}`;
      const code = unrolledPassWgsl(plan.radix, plan.twiddled, {
        code: fusion.code,
        load,
        store: !load,
      });
      const file = `generated:fft-radix${plan.radix}${kind}`;
      return this.gpu.pipeline({ file, code }, "main", fusion.constants);
    };
    const [load, store] = await Promise.all([
      fusion.load ? compile(first, true) : null,
      fusion.store ? compile(last, false) : null,
    ]);
    const storeInvocationsPerFrame = this.n * (this.n / last.radix);
    return { name: fusion.name, load, store, storeInvocationsPerFrame };
  }

  /** Releases the plan's scratch and twiddle buffers. */
  destroy(): void {
    this.gpu.release(this.#scratch, this.#twiddles);
    this.#scratch = null;
  }

  #record(
    src: GPUBuffer,
    dst: GPUBuffer,
    batch: number,
    options: FftOptions,
    inverse: boolean,
  ): void {
    const n = this.n;
    const frameBytes = 8 * n * n;
    const srcOffset = options.srcOffset ?? 0;
    const dstOffset = options.dstOffset ?? 0;
    if (!Number.isInteger(batch) || batch < 0) {
      throw new RangeError(`Cannot transform ${batch} frames: expected a whole number`);
    }
    const fusion = options.fusion;
    if (fusion && (srcOffset || dstOffset)) {
      throw new RangeError("Cannot fuse work into a transform with buffer offsets");
    }
    const checked = [["src", srcOffset, src], ["dst", dstOffset, dst]] as const;
    for (const [name, offset, buffer] of checked.slice(fusion?.load ? 1 : 0)) {
      if (offset % frameBytes !== 0 || offset < 0 || offset + batch * frameBytes > buffer.size) {
        throw new RangeError(
          `Cannot transform ${batch} frames of ${n} x ${n} at ${name} offset ${offset}: ` +
            `expected a multiple of ${frameBytes} with the frames inside the ${buffer.size}-byte buffer`,
        );
      }
    }
    if (batch === 0) return;
    const scratch = this.#scratchFor(batch * frameBytes);
    // Rows then columns; passes alternate scratch and dst, ending in dst. The pass count is even,
    // so src is read only by the first pass and in-place transforms need no extra copy.
    const all = [
      ...this.#passes.map((p) => ({ ...p, rows: true })),
      ...this.#passes.map((p) => ({ ...p, rows: false })),
    ];
    const mask = n / 2;
    all.forEach((pass, i) => {
      const first = i === 0;
      const last = i === all.length - 1;
      const input = first ? src : (i % 2 === 1 ? scratch : dst);
      const output = i % 2 === 0 ? scratch : dst;
      const scale = last ? 1 / n : 1;
      const { params, workgroups } = passParams({
        design: this.design,
        n,
        batch,
        pass: pass.plan,
        rows: pass.rows,
        srcOffset: first ? srcOffset / 8 : (input === dst ? dstOffset / 8 : 0),
        dstOffset: output === dst ? dstOffset / 8 : 0,
        loadMask: first && options.shiftInput ? mask : 0,
        storeMask: last && options.shiftOutput ? mask : 0,
        conjugateIn: first && inverse,
        outRe: scale,
        outIm: last && inverse ? -scale : scale,
      });
      const bindings: (Binding | null)[] = [this.gpu.params(params), input, output];
      const twiddles = this.design === "workgroup" || pass.plan.twiddled;
      const fused = first ? fusion?.load : last ? fusion?.store : undefined;
      if (twiddles || fused) bindings.push(twiddles ? this.#twiddles : null);
      if (fused) bindings.push(...fused);
      const pipeline = fused ? (first ? fusion!.passes.load : fusion!.passes.store) : pass.pipeline;
      if (!pipeline) throw new RangeError(`Fusion ${fusion!.passes.name} lacks that pass`);
      this.gpu.dispatch(pipeline, bindings, workgroups);
    });
  }

  /**
   * Software adapters JIT-compile a pipeline at its first dispatch (seconds for the big unrolled
   * kernels): one empty dispatch per pipeline moves that cost here, so recording stays cheap.
   */
  async #warmUp(): Promise<void> {
    const src = this.gpu.buffer(8, "fft warm-up src");
    const dst = this.gpu.buffer(8, "fft warm-up dst");
    const nothing = this.gpu.params(new Uint32Array(16));
    for (const pass of this.#passes) {
      const bindings = [nothing, src, dst];
      if (this.design === "workgroup" || pass.plan.twiddled) bindings.push(this.#twiddles);
      this.gpu.dispatch(pass.pipeline, bindings, 1);
    }
    await this.gpu.finish();
    this.gpu.release(src, dst);
  }

  #scratchFor(bytes: number): GPUBuffer {
    if (!this.#scratch || this.#scratch.size < bytes) {
      // Work recorded earlier may still use the old scratch: submit it before destroying.
      if (this.#scratch) this.gpu.flush();
      this.gpu.release(this.#scratch);
      this.#scratch = this.gpu.buffer(bytes, `fft${this.n} scratch`);
    }
    return this.#scratch;
  }
}
