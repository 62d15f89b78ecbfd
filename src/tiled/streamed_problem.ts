/**
 * Tiles streamed through one device (`--memory-budget`): a worker keeps every tile's vectors in
 * host memory and makes a tile resident (as many as the budget holds) for the device work of a
 * phase (cost, gradient, preconditioner). The sums across tiles and workers run on the host, between the
 * device passes, through the same {@link TileReductions} meetings in the same order as the
 * resident run, so the results equal it up to float32 rounding of the vector arithmetic.
 */
import type { Gpu } from "../gpu/mod.ts";
import type { TileReduction } from "../parallel/mod.ts";
import { PRECONDITIONER_FLOOR } from "../physics/model.ts";
import type { GpuProblem, GpuVariables, TileResidual } from "../problem/mod.ts";
import type { Problem } from "../solvers/mod.ts";
import type { Rect } from "../tiling/mod.ts";
import { type PassHooks, RelayReduction, type TileDevice } from "./tile_device.ts";

/** A vector of unknowns in host memory: object S x h x w and probe K x M x M, complex float32. */
export interface HostVariables {
  object: Float32Array;
  probe: Float32Array;
}

type Parts = { object: boolean; probe: boolean };
/** A tile's D_O (one plane of its region) and D_P (M x M), complex float32. */
type Weights = { object?: Float32Array; probe?: Float32Array };

/** Copies the active parts of a downloaded vector into `v`. */
function take(parts: HostVariables, v: HostVariables, active: Parts): void {
  if (active.object) v.object.set(parts.object);
  if (active.probe) v.probe.set(parts.probe);
}

/** Options of {@link StreamedProblem}. */
export interface StreamedProblemOptions {
  tile: number;
  device: TileDevice;
  /** Opens the tile's device problem, built with `relay` as its reduction. */
  open: (relay: RelayReduction) => Promise<GpuProblem>;
  /** The tile's reductions over host arrays (see {@link hostBackend}). */
  reduction: TileReduction<Float32Array>;
  /** Extended region of the tile, object slices S and probe modes K x M x M. */
  region: Rect;
  slices: number;
  probeLength: number;
  /** Pixels (region coordinates) this tile counts in dot products, besides its core. */
  alsoOwned: Rect[];
  /** Whether this tile counts the probe in dot products (exactly one tile does). */
  countProbe: boolean;
}

/** One tile's problem with its vectors in host memory, its device work streamed (see above). */
export class StreamedProblem implements Problem<HostVariables> {
  #active = { object: true, probe: false };
  readonly #relay: RelayReduction;
  /** D_O summed over tiles and its floor, for `x`, while the probe is not refined. */
  #summed: { x: HostVariables; object: Float32Array; floor: number } | null = null;
  #residual: TileResidual = { cost: NaN, numerator: NaN, denominator: NaN };
  #rFactor = NaN;
  #amplitudeTotal: number | null = null;

  constructor(readonly o: StreamedProblemOptions) {
    this.#relay = new RelayReduction(o.reduction.ownedRegion, o.alsoOwned);
  }

  get gpu(): Gpu {
    return this.o.device.gpu;
  }

  get active(): { object: boolean; probe: boolean } {
    return { ...this.#active };
  }

  setActive(parts: { object: boolean; probe: boolean }): void {
    this.#active = { ...parts };
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

  copy(src: HostVariables, dst: HostVariables): void {
    for (const part of this.#parts()) dst[part].set(src[part]);
  }

  axpy(dst: HostVariables, x: HostVariables, a: number, y: HostVariables): void {
    const fa = Math.fround(a);
    for (const part of this.#parts()) {
      const [d, xs, ys] = [dst[part], x[part], y[part]];
      for (let i = 0; i < d.length; i++) d[i] = xs[i] + Math.fround(fa * ys[i]);
    }
  }

  scale(dst: HostVariables, a: number, x: HostVariables): void {
    const fa = Math.fround(a);
    for (const part of this.#parts()) {
      const [d, xs] = [dst[part], x[part]];
      for (let i = 0; i < d.length; i++) d[i] = fa * xs[i];
    }
  }

  async dot(a: HostVariables, b: HostVariables): Promise<number> {
    return (await this.dots([[a, b]]))[0];
  }

  /** One sum over tiles per pair, in order, as the device problem's `dots`. */
  async dots(pairs: [HostVariables, HostVariables][]): Promise<number[]> {
    const locals = pairs.map(([a, b]) => this.#localDot(a, b));
    const out: number[] = [];
    for (const local of locals) out.push(await this.o.reduction.sum(local));
    return out;
  }

  cost(x: HostVariables): Promise<number> {
    return this.#evaluate(x, null);
  }

  gradient(x: HostVariables, g: HostVariables): Promise<number> {
    return this.#evaluate(x, g);
  }

  /**
   * Two device passes around the host reductions: the first gives the tile's own illumination
   * D_O and object intensity D_P, which are then summed over overlaps and tiles; the second
   * applies the preconditioner with them put back in place of its local values.
   */
  async precondition(x: HostVariables, g: HostVariables, out: HostVariables): Promise<void> {
    const active = this.active;
    // As a resident tile's preconditioner: D_O and its floor are kept while the probe is not
    // refined (every tile decides alike, so the sums over tiles stay in step).
    const kept = !active.probe && this.#summed?.x === x ? this.#summed : null;
    const weights = kept ? { object: kept.object } : await this.#localWeights(active, x);
    let floor = kept?.floor ?? NaN;
    if (active.object && !kept) {
      await this.o.reduction.sumOverlaps(weights.object!);
      floor = await this.o.reduction.max(this.#floor(weights.object!));
    }
    if (active.probe) await this.o.reduction.sumProbe(weights.probe!);
    this.#summed = active.object && !active.probe ? { x, object: weights.object!, floor } : null;
    await this.#applyWeights({ active, x, g, out, weights, floor });
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
      const active = { object: true, probe };
      const weights = await this.#localWeights(active, x);
      const floor = this.#floor(weights.object!);
      passes.push(
        () => this.#localEvaluate(active, x, null),
        () => this.#localEvaluate(active, x, g),
        () => this.#localWeights(active, x),
        () => this.#applyWeights({ active, x, g, out: g, weights, floor }),
      );
    }
    for (const pass of passes) {
      if (!fresh) break;
      this.o.device.evict(this.o.tile);
      await pass();
    }
    for (const pass of passes) await pass();
  }

  /** The amplitude R-factor of the latest evaluation, over all tiles (see `GpuProblem.rFactor`). */
  get rFactor(): number {
    return this.#rFactor;
  }

  /** The tile's share of the latest evaluation (see `GpuProblem.residual`). */
  get residual(): TileResidual {
    return { ...this.#residual };
  }

  /** The local cost (and gradient) on the device, then summed over tiles on the host. */
  async #evaluate(x: HostVariables, g: HostVariables | null): Promise<number> {
    const active = this.active;
    const local = await this.#localEvaluate(active, x, g);
    if (g && active.object) await this.o.reduction.exchangeObject(g.object);
    if (g && active.probe) await this.o.reduction.sumProbe(g.probe);
    const cost = await this.o.reduction.sum(local);
    // In the order of the device problem's sums, so tiles resident and streamed stay in step.
    const numerator = await this.o.reduction.sum(this.#residual.numerator);
    this.#amplitudeTotal ??= await this.o.reduction.sum(this.#residual.denominator);
    this.#rFactor = numerator / this.#amplitudeTotal;
    return cost;
  }

  /** The tile's own cost and, into `g`, its own gradient. */
  #localEvaluate(active: Parts, x: HostVariables, g: HostVariables | null): Promise<number> {
    return this.#pass(active, {}, async (p, dx) => {
      if (!g) {
        const cost = await p.cost(dx);
        this.#residual = p.residual;
        return cost;
      }
      const dg = p.create("streamed gradient");
      const cost = await p.gradient(dx, dg);
      this.#residual = p.residual;
      take(await p.download(dg), g, active);
      p.destroy(dg);
      return cost;
    }, x);
  }

  /** The tile's own D_O (object active) and D_P (probe active), as the device computes them. */
  async #localWeights(active: Parts, x: HostVariables): Promise<Weights> {
    const gpu = this.gpu;
    const weights: Weights = {};
    await this.#pass(active, {
      sumOverlaps: async (w) => void (weights.object = await gpu.readF32(w, 0, w.size)),
      sumProbe: async (w) => void (weights.probe = await gpu.readF32(w, 0, w.size)),
    }, async (p, dx) => {
      const scratch = p.create("streamed preconditioner scratch");
      await p.precondition(dx, scratch, scratch);
      p.destroy(scratch);
    }, x);
    return weights;
  }

  /** out <- M g with the weights and the object floor given (reduced over tiles). */
  #applyWeights(o: {
    active: Parts;
    x: HostVariables;
    g: HostVariables;
    out: HostVariables;
    weights: Weights;
    floor: number;
  }): Promise<void> {
    const gpu = this.gpu;
    return this.#pass(o.active, {
      sumOverlaps: (w) => Promise.resolve(gpu.write(w, o.weights.object!)),
      max: () => o.floor,
      sumProbe: (w) => Promise.resolve(gpu.write(w, o.weights.probe!)),
    }, async (p, dx) => {
      const result = p.upload(o.g.object, o.g.probe, "streamed preconditioned gradient");
      await p.precondition(dx, result, result);
      take(await p.download(result), o.out, o.active);
      p.destroy(result);
    }, o.x);
  }

  /** As the device's floor kernel: eps (a float32) times the peak of D_O, rounded to float32. */
  #floor(weight: Float32Array): number {
    const { height, width } = this.o.region;
    let peak = -Infinity;
    for (let i = 0; i < height * width; i++) peak = Math.max(peak, weight[2 * i]);
    return Math.fround(Math.fround(PRECONDITIONER_FLOOR) * peak);
  }

  /** Runs `fn` with the tile resident, `x` on the device and `hooks` in place. */
  #pass<T>(
    active: Parts,
    hooks: PassHooks,
    fn: (p: GpuProblem, dx: GpuVariables) => Promise<T>,
    x: HostVariables,
  ): Promise<T> {
    return this.o.device.use(this.o.tile, () => this.o.open(this.#relay), async (p) => {
      this.#relay.hooks = hooks;
      p.setActive(active);
      const dx = p.upload(x.object, x.probe, "streamed x");
      try {
        return await fn(p, dx);
      } finally {
        p.destroy(dx);
        this.#relay.hooks = {};
      }
    });
  }

  #localDot(a: HostVariables, b: HostVariables): number {
    const { region, slices } = this.o;
    let sum = 0;
    if (this.#active.object) {
      for (const r of [this.o.reduction.ownedRegion, ...this.o.alsoOwned]) {
        for (let s = 0; s < slices; s++) {
          for (let y = r.y0; y < r.y0 + r.height; y++) {
            const row = 2 * ((s * region.height + y) * region.width + r.x0);
            for (let i = row; i < row + 2 * r.width; i++) sum += a.object[i] * b.object[i];
          }
        }
      }
    }
    if (this.#active.probe && this.o.countProbe) {
      for (let i = 0; i < a.probe.length; i++) sum += a.probe[i] * b.probe[i];
    }
    return sum;
  }

  *#parts(): Iterable<"object" | "probe"> {
    if (this.#active.object) yield "object";
    if (this.#active.probe) yield "probe";
  }
}
