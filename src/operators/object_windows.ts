import type { Gpu } from "../gpu/mod.ts";
import code from "../../wgsl/window.wgsl" with { type: "text" };
import type { Batch, Scan } from "./scan.ts";
import { BLOCK } from "./gather_index.ts";

const SOURCE = { file: "wgsl/window.wgsl", code };

/** Where a window kernel works: which slice, how many modes, which slot of the stored waves. */
export interface WindowCall {
  batch: Batch;
  /** Object slice s (the kernels read slice s of an S x H x W object). */
  slice: number;
  /** Probe modes K of the batch's waves. */
  modes: number;
  /** Element offset of the stored waves of this slice in the waves buffer. */
  waveOffset: number;
}

/**
 * Extraction of M x M object windows at the scan's integer origins, and its adjoint, the
 * overlap-add: a deterministic gather over each batch's CSR index (no atomics, the sum at each
 * pixel runs in increasing position order). Also the fused per-slice kernels of the multislice
 * model (multiply by the windowed object; its backward pass).
 *
 * Buffers: object S x H x W complex; patches count x M x M complex; waves count x K x M x M.
 */
export class ObjectWindows {
  private constructor(
    private readonly gpu: Gpu,
    readonly scan: Scan,
    private readonly pipelines: Record<
      | "extract"
      | "windowPower"
      | "multiply"
      | "backward"
      | "overlap"
      | "overlapProduct"
      | "overlapWhen",
      GPUComputePipeline
    >,
  ) {}

  /** Compiles the window kernels for a scan. */
  static async create(gpu: Gpu, scan: Scan): Promise<ObjectWindows> {
    const names = [
      "extract",
      "windowPower",
      "multiply",
      "backward",
      "overlap",
      "overlapProduct",
      "overlapWhen",
    ] as const;
    const entries: Record<string, string> = {
      windowPower: "window_power",
      overlapProduct: "overlap_product",
      overlapWhen: "overlap_shared_when",
    };
    const entry = (n: string) => entries[n] ?? n;
    const compiled = await Promise.all(names.map((n) => gpu.pipeline(SOURCE, entry(n))));
    const pipelines = Object.fromEntries(names.map((n, i) => [n, compiled[i]]));
    return new ObjectWindows(gpu, scan, pipelines as ObjectWindows["pipelines"]);
  }

  /** out[b] <- slice 0 of `object` under window b of the batch (default: the first batch). */
  forward(object: GPUBuffer, out: GPUBuffer, batch = this.scan.batches[0]): void {
    this.extract(object, out, { batch, slice: 0, modes: 1, waveOffset: 0 });
  }

  /** out <- overlap-add of the patches `y` of the batch into an H x W slice (overwrites out). */
  adjoint(y: GPUBuffer, out: GPUBuffer, batch = this.scan.batches[0]): void {
    const [h, w] = this.scan.objectShape;
    this.gpu.encoder.clearBuffer(out, 0, h * w * 8);
    this.overlapAdd(y, out, { batch, slice: 0, modes: 1, waveOffset: 0 });
  }

  /** out[b, p] <- O_s[window b, p]. */
  extract(object: GPUBuffer, out: GPUBuffer, c: WindowCall): void {
    const m2 = this.scan.frame ** 2;
    const params = this.#params(c, 0);
    this.gpu.dispatch(
      this.pipelines.extract,
      [params, this.scan.origins, object, out],
      Math.ceil((c.batch.count * m2) / 256),
    );
  }

  /**
   * out[p] <- ((accumulate ? Re out[p] : 0) + sum_b |O_s[window b, p]|^2, 0) over the batch's
   * windows in order, out M x M complex: the windows' intensity summed without storing the
   * windows (lsqml's probe weight).
   */
  windowPower(object: GPUBuffer, out: GPUBuffer, c: WindowCall, accumulate: boolean): void {
    this.gpu.dispatch(
      this.pipelines.windowPower,
      [this.#params(c, accumulate ? 1 : 0), this.scan.origins, object, out],
      Math.ceil(this.scan.frame ** 2 / 256),
    );
  }

  /**
   * work[b, k] <- O_s[window b] psi[b, k], with psi read from work and stored into the waves
   * slot (`store`), read from work only (`input`), or read from the waves slot (`stored`).
   */
  multiply(
    object: GPUBuffer,
    work: GPUBuffer,
    waves: GPUBuffer,
    c: WindowCall,
    wave: "store" | "input" | "stored",
  ): void {
    const n = c.batch.count * c.modes * this.scan.frame ** 2;
    const flag = wave === "store" ? 1 : wave === "stored" ? 2 : 0;
    this.gpu.dispatch(
      this.pipelines.multiply,
      [this.#params(c, flag), this.scan.origins, object, work, waves],
      Math.ceil(n / 256),
    );
  }

  /**
   * Backward pass of {@link multiply}: patch[b] <- sum_k conj(waves[b, k]) chi[b, k] (when
   * `want.patch`: the object-slice gradient of the batch before overlap-add), and
   * chi[b, k] <- conj(O_s[window b]) chi[b, k] (when `want.chi`: the gradient with respect to
   * the slice's input, needed by earlier slices and the probe).
   */
  backward(
    object: GPUBuffer,
    chi: GPUBuffer,
    waves: GPUBuffer,
    patch: GPUBuffer,
    c: WindowCall,
    want: { patch: boolean; chi: boolean },
  ): void {
    const n = c.batch.count * this.scan.frame ** 2;
    const flag = (want.patch ? 1 : 0) | (want.chi ? 2 : 0);
    this.gpu.dispatch(
      this.pipelines.backward,
      [this.#params(c, flag), this.scan.origins, object, chi, waves, patch],
      Math.ceil(n / 256),
    );
  }

  /**
   * grad_s[pixel] += sum over the batch's windows covering it of patch[b, pixel - origin]
   * (of patch[0, pixel - origin] when `shared`: one patch under every window).
   */
  overlapAdd(patches: GPUBuffer, grad: GPUBuffer, c: WindowCall, shared = false): void {
    const { region } = c.batch;
    this.gpu.dispatch(
      this.pipelines.overlap,
      [
        this.#params(c, shared ? 1 : 0),
        this.scan.origins,
        c.batch.blockStart,
        c.batch.blockWindows,
        patches,
        grad,
      ],
      Math.ceil(region.height / BLOCK) * Math.ceil(region.width / BLOCK),
    );
  }

  /**
   * grad_s[pixel] += sum over the batch's windows covering it of
   * sum_k conj(waves[b, k]) chi[b, k] at pixel - origin: {@link backward}'s patch followed by
   * {@link overlapAdd}, in one pass that never stores the patches (call it before `backward`
   * overwrites chi).
   */
  overlapProduct(chi: GPUBuffer, waves: GPUBuffer, grad: GPUBuffer, c: WindowCall): void {
    const { region } = c.batch;
    this.gpu.dispatch(
      this.pipelines.overlapProduct,
      [
        this.#params(c, 0),
        this.scan.origins,
        c.batch.blockStart,
        c.batch.blockWindows,
        chi,
        grad,
        waves,
      ],
      Math.ceil(region.height / BLOCK) * Math.ceil(region.width / BLOCK),
    );
  }

  /**
   * {@link overlapAdd} of one patch shared by every window, done only when `when[0]` (a u32 on
   * the device) is 1: work decided on the device, without a readback.
   */
  overlapAddWhen(patch: GPUBuffer, grad: GPUBuffer, c: WindowCall, when: GPUBuffer): void {
    const { region } = c.batch;
    this.gpu.dispatch(
      this.pipelines.overlapWhen,
      [
        this.#params(c, 1),
        this.scan.origins,
        c.batch.blockStart,
        c.batch.blockWindows,
        patch,
        grad,
        when,
      ],
      Math.ceil(region.height / BLOCK) * Math.ceil(region.width / BLOCK),
    );
  }

  #params(c: WindowCall, flag: number): GPUBuffer {
    const [h, w] = this.scan.objectShape;
    const r = c.batch.region;
    return this.gpu.params(
      new Uint32Array([
        this.scan.frame,
        c.modes,
        c.batch.count,
        c.batch.first,
        w,
        h,
        c.slice * h * w,
        c.waveOffset,
        flag,
        r.y0,
        r.x0,
        r.height,
        r.width,
        Math.log2(this.scan.frame),
      ]),
    );
  }
}
