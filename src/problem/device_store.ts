import type { DotTerm, Region } from "../kernels/mod.ts";
import type { Rect } from "../tiling/types.ts";
import type { GpuProblem, GpuVariables } from "./gpu_problem.ts";
import type { TileResidual } from "./reduction.ts";
import type { Parts, TileStore, Weights } from "./tile_store.ts";
import { DeviceWeights } from "./_preconditioner.ts";

/** The active parts' names, object first. */
function* partsOf(parts: Parts): Iterable<"object" | "probe"> {
  if (parts.object) yield "object";
  if (parts.probe) yield "probe";
}

/**
 * A tile's vectors on its problem's device (resident tiles, and one device alone): the vector
 * arithmetic in kernels, and the problem's local evaluation (see {@link TileStore}).
 */
export class DeviceStore implements TileStore<GPUBuffer> {
  readonly #weights: DeviceWeights;

  constructor(readonly problem: GpuProblem) {
    this.#weights = new DeviceWeights(problem);
  }

  create(label: string): GpuVariables {
    return this.problem.create(label);
  }

  destroy(v: GpuVariables): void {
    this.problem.destroy(v);
  }

  upload(object: Float32Array, probe: Float32Array, label?: string): GpuVariables {
    return this.problem.upload(object, probe, label);
  }

  download(v: GpuVariables): Promise<{ object: Float32Array; probe: Float32Array }> {
    return this.problem.download(v);
  }

  copy(src: GpuVariables, dst: GpuVariables, parts: Parts): void {
    const { gpu, sizes } = this.problem;
    for (const part of partsOf(parts)) gpu.copy(src[part], 0, dst[part], 0, 8 * sizes[part]);
  }

  axpy(dst: GpuVariables, x: GpuVariables, a: number, y: GpuVariables, parts: Parts): void {
    const { ew, sizes } = this.problem;
    for (const part of partsOf(parts)) ew.axpy(dst[part], x[part], a, y[part], 2 * sizes[part]);
  }

  scale(dst: GpuVariables, a: number, x: GpuVariables, parts: Parts): void {
    const { ew, sizes } = this.problem;
    for (const part of partsOf(parts)) ew.scale(dst[part], a, x[part], 2 * sizes[part]);
  }

  /** Every pair's terms summed on the device, read back together. */
  async localDots(
    pairs: [GpuVariables, GpuVariables][],
    count: { object: Rect[] | null; probe: boolean },
  ): Promise<number[]> {
    const sums = await this.problem.reductions.dots(
      pairs.map(([a, b]) => this.#terms(a, b, count)),
    );
    return sums.map(({ re }) => re);
  }

  evaluate(
    x: GpuVariables,
    g: GpuVariables | null,
    parts: Parts,
    exchange?: () => Promise<void>,
  ): Promise<{ share: () => Promise<TileResidual>; exchanged: Promise<void> }> {
    // The passes are queued at once: `g` is in place for whatever the device runs next.
    let exchanged = Promise.resolve();
    const share = this.problem.evaluateTile(x, g, parts, () => {
      if (exchange) exchanged = exchange();
    });
    return Promise.resolve({ share, exchanged });
  }

  weights(x: GpuVariables, parts: Parts, reuse: boolean): Promise<Weights<GPUBuffer>> {
    return this.#weights.weights(x, parts, reuse);
  }

  floor(part: keyof Parts, weight: GPUBuffer, eps: number): void {
    this.#weights.floor(part, weight, eps);
  }

  readFloor(part: keyof Parts): Promise<number> {
    return this.#weights.readFloor(part);
  }

  writeFloor(part: keyof Parts, value: number): void {
    this.#weights.writeFloor(part, value);
  }

  readValues(v: GPUBuffer, count: number): Promise<Float32Array> {
    return this.problem.gpu.readF32(v, 0, 4 * count);
  }

  writeValues(v: GPUBuffer, values: Float32Array): void {
    this.problem.gpu.write(v, values);
  }

  divide(
    parts: Parts,
    weights: Weights<GPUBuffer>,
    g: GpuVariables,
    out: GpuVariables,
  ): Promise<void> {
    this.#weights.divide(parts, weights, g, out);
    return Promise.resolve();
  }

  invalidate(): void {
    this.#weights.invalidate();
  }

  finish(): Promise<void> {
    return this.problem.gpu.finish();
  }

  dispose(): void {
    this.#weights.destroy();
  }

  #terms(
    a: GpuVariables,
    b: GpuVariables,
    count: { object: Rect[] | null; probe: boolean },
  ): DotTerm[] {
    const { scan, slices, sizes } = this.problem;
    const [h, w] = scan.objectShape;
    const terms: DotTerm[] = (count.object ?? []).map((r) => ({
      a: a.object,
      b: b.object,
      region: {
        base: r.y0 * w + r.x0,
        slices,
        height: r.height,
        width: r.width,
        rowStride: w,
        sliceStride: h * w,
      } as Region,
    }));
    if (count.probe) {
      terms.push({ a: a.probe, b: b.probe, region: { height: 1, width: sizes.probe } });
    }
    return terms;
  }
}
