/**
 * Tiles streamed through one device (`--memory-budget`): a worker keeps every tile's vectors in
 * host memory and makes a tile resident (as many as the budget holds) for the device work of a
 * pass (cost and gradient, preconditioner terms, division). Only where the vectors live differs
 * from a resident tile: the sums across tiles and the preconditioner's arithmetic are the
 * reduction layer's (`ReducedProblem`), the same for both, so the results equal the resident
 * run's up to float32 rounding of the vector arithmetic.
 */
import type { Gpu } from "../gpu/mod.ts";
import type {
  GpuProblem,
  GpuVariables,
  Parts,
  TileResidual,
  TileStore,
  Variables,
  Weights,
} from "../problem/mod.ts";
import type { Rect } from "../tiling/mod.ts";
import type { TileDevice } from "./tile_device.ts";

/** A vector of unknowns in host memory: object S x h x w and probe K x M x M, complex float32. */
export type HostVariables = Variables<Float32Array>;

/** Copies the active parts of a downloaded vector into `v`. */
function take(parts: HostVariables, v: HostVariables, active: Parts): void {
  if (active.object) v.object.set(parts.object);
  if (active.probe) v.probe.set(parts.probe);
}

/** The active parts' names, object first. */
function* partsOf(parts: Parts): Iterable<"object" | "probe"> {
  if (parts.object) yield "object";
  if (parts.probe) yield "probe";
}

/** Options of {@link StreamedStore}. */
export interface StreamedStoreOptions {
  tile: number;
  device: TileDevice;
  /** Opens the tile's device problem (its own reduction is never used). */
  open: () => Promise<GpuProblem>;
  /** Extended region of the tile, object slices S and probe modes K x M x M. */
  region: Rect;
  slices: number;
  probeLength: number;
}

/** One tile's vectors in host memory, its device work streamed (see above). */
export class StreamedStore implements TileStore<Float32Array> {
  readonly #floors = { object: NaN, probe: NaN };

  constructor(readonly o: StreamedStoreOptions) {}

  get gpu(): Gpu {
    return this.o.device.gpu;
  }

  create(_label: string): HostVariables {
    const { region, slices, probeLength } = this.o;
    return {
      object: new Float32Array(2 * slices * region.height * region.width),
      probe: new Float32Array(2 * probeLength),
    };
  }

  upload(object: Float32Array, probe: Float32Array, _label?: string): HostVariables {
    const v = this.create("uploaded");
    if (object.length !== v.object.length || probe.length !== v.probe.length) {
      throw new RangeError(
        `Cannot hold an object of ${object.length / 2} elements in tile ` +
          `${this.o.tile}: expected ${v.object.length / 2}`,
      );
    }
    v.object.set(object);
    v.probe.set(probe);
    return v;
  }

  download(v: HostVariables): Promise<{ object: Float32Array; probe: Float32Array }> {
    return Promise.resolve({ object: v.object.slice(), probe: v.probe.slice() });
  }

  destroy(_v: HostVariables): void {}

  dispose(): void {}

  invalidate(): void {}

  finish(): Promise<void> {
    return Promise.resolve();
  }

  copy(src: HostVariables, dst: HostVariables, parts: Parts): void {
    for (const part of partsOf(parts)) dst[part].set(src[part]);
  }

  axpy(dst: HostVariables, x: HostVariables, a: number, y: HostVariables, parts: Parts): void {
    const fa = Math.fround(a);
    for (const part of partsOf(parts)) {
      const [d, xs, ys] = [dst[part], x[part], y[part]];
      for (let i = 0; i < d.length; i++) d[i] = xs[i] + Math.fround(fa * ys[i]);
    }
  }

  scale(dst: HostVariables, a: number, x: HostVariables, parts: Parts): void {
    const fa = Math.fround(a);
    for (const part of partsOf(parts)) {
      const [d, xs] = [dst[part], x[part]];
      for (let i = 0; i < d.length; i++) d[i] = fa * xs[i];
    }
  }

  localDots(
    pairs: [HostVariables, HostVariables][],
    count: { object: Rect[] | null; probe: boolean },
  ): Promise<number[]> {
    return Promise.resolve(pairs.map(([a, b]) => this.#localDot(a, b, count)));
  }

  /** The tile's own cost and, into `g`, its own gradient, in one pass. */
  async evaluate(
    x: HostVariables,
    g: HostVariables | null,
    parts: Parts,
    exchange?: () => Promise<void>,
  ): Promise<{ share: () => Promise<TileResidual>; exchanged: Promise<void> }> {
    const share = await this.#passAt(x, async (p, dx) => {
      const dg = g ? p.create("streamed gradient") : null;
      try {
        const share = await p.evaluateTile(dx, dg, parts)();
        if (dg) take(await p.download(dg), g!, parts);
        return share;
      } finally {
        if (dg) p.destroy(dg);
      }
    });
    return { share: () => Promise.resolve(share), exchanged: exchange?.() ?? Promise.resolve() };
  }

  /** The tile's own D_O and D_P, as the device computes them, read back. */
  weights(x: HostVariables, parts: Parts, _reuse: boolean): Promise<Weights<Float32Array>> {
    return this.#passAt(x, async (p, dx) => {
      const weights = await p.store.weights(dx, parts, false);
      const out: Weights<Float32Array> = {};
      await Promise.all([...partsOf(parts)].map(async (part) => {
        out[part] = await p.gpu.readF32(weights[part]!);
      }));
      return out;
    });
  }

  /** As the device's floor kernel: eps (a float32) times the peak of Re D, rounded to float32. */
  floor(part: keyof Parts, weight: Float32Array, eps: number): void {
    const { height, width } = this.o.region;
    const n = part === "object" ? height * width : weight.length / 2;
    let peak = -Infinity;
    for (let i = 0; i < n; i++) peak = Math.max(peak, weight[2 * i]);
    this.#floors[part] = Math.fround(Math.fround(eps) * peak);
  }

  readFloor(part: keyof Parts): Promise<number> {
    return Promise.resolve(this.#floors[part]);
  }

  writeFloor(part: keyof Parts, value: number): void {
    this.#floors[part] = value;
  }

  readValues(v: Float32Array, count: number): Promise<Float32Array> {
    return Promise.resolve(v.slice(0, count));
  }

  writeValues(v: Float32Array, values: Float32Array): void {
    v.set(values);
  }

  /** out <- g / (D + floor) on the device, with the weights and floors given. */
  divide(
    parts: Parts,
    weights: Weights<Float32Array>,
    g: HostVariables,
    out: HostVariables,
  ): Promise<void> {
    return this.#pass(async (p) => {
      const dg = p.upload(g.object, g.probe, "streamed preconditioned gradient");
      const dw: Weights<GPUBuffer> = {};
      try {
        for (const part of partsOf(parts)) {
          dw[part] = p.gpu.upload(weights[part]!, `streamed ${part} preconditioner`);
          p.store.writeFloor(part, this.#floors[part]);
        }
        await p.store.divide(parts, dw, dg, dg);
        take(await p.download(dg), out, parts);
      } finally {
        p.destroy(dg);
        p.gpu.release(dw.object ?? null, dw.probe ?? null);
      }
    });
  }

  /**
   * Runs each device pass (nothing summed), with the probe fixed and refined, so that the
   * device's peak shows the bytes one tile needs. With `fresh`, each pass runs on a freshly
   * opened problem (which allocates its lazy buffers during the pass) and then again on a warm
   * one.
   */
  async rehearse(x: HostVariables, fresh: boolean): Promise<void> {
    const g = this.create("rehearsal gradient");
    const passes: Array<() => Promise<unknown>> = [];
    for (const probe of [false, true]) {
      const parts = { object: true, probe };
      // The floors stay unset: the rehearsal's quotients are not used.
      const weights = await this.weights(x, parts, false);
      passes.push(
        () => this.evaluate(x, null, parts),
        () => this.evaluate(x, g, parts),
        () => this.weights(x, parts, false),
        () => this.divide(parts, weights, g, g),
      );
    }
    for (const pass of passes) {
      if (!fresh) break;
      this.o.device.evict(this.o.tile);
      await pass();
    }
    for (const pass of passes) await pass();
  }

  /** Runs `fn` with the tile resident. */
  #pass<T>(fn: (p: GpuProblem) => Promise<T>): Promise<T> {
    return this.o.device.use(this.o.tile, this.o.open, fn);
  }

  /** Runs `fn` with the tile resident and `x` on the device. */
  #passAt<T>(x: HostVariables, fn: (p: GpuProblem, dx: GpuVariables) => Promise<T>): Promise<T> {
    return this.#pass(async (p) => {
      const dx = p.upload(x.object, x.probe, "streamed x");
      try {
        return await fn(p, dx);
      } finally {
        p.destroy(dx);
      }
    });
  }

  #localDot(
    a: HostVariables,
    b: HostVariables,
    count: { object: Rect[] | null; probe: boolean },
  ): number {
    const { region, slices } = this.o;
    let sum = 0;
    for (const r of count.object ?? []) {
      for (let s = 0; s < slices; s++) {
        for (let y = r.y0; y < r.y0 + r.height; y++) {
          const row = 2 * ((s * region.height + y) * region.width + r.x0);
          for (let i = row; i < row + 2 * r.width; i++) sum += a.object[i] * b.object[i];
        }
      }
    }
    if (count.probe) {
      for (let i = 0; i < a.probe.length; i++) sum += a.probe[i] * b.probe[i];
    }
    return sum;
  }
}
