import type { Problem } from "../solvers/types.ts";
import type { Reduction, TileResidual } from "./reduction.ts";
import type { Parts, TileStore, Variables, Weights } from "./tile_store.ts";

/** Options of {@link ReducedProblem}. */
export interface ReducedProblemOptions<H> {
  /** Where the tile's vectors live, and its local work. */
  store: TileStore<H>;
  /** How the tile's results combine with the other tiles'. */
  reduction: Reduction<H>;
  /**
   * Whether this tile counts the probe in dot products. Every tile holds the same all-reduced
   * probe, so the engine sets it on exactly one.
   */
  countProbe: boolean;
  /** Relative floor of the preconditioner: 1 / (D + eps max D). */
  eps: number;
}

/**
 * One tile's problem as the solvers see it: the one layer that owns the order of the
 * reductions across tiles and the preconditioner's arithmetic, over a {@link TileStore} whose
 * vectors live on a device (resident tiles, one device alone) or in host memory (streamed
 * tiles). The store computes the tile's own values; this layer adds them up, in the same
 * sequence on every tile, so tiled results equal untiled ones wherever the vectors live.
 *
 * An evaluation's scalars (cost, R-factor numerator, and once its denominator) are summed in
 * one all-reduce; so are the dot products of one `dots` call.
 *
 * The algorithms that run their own passes over the batches (lsqml's sweep, dm's and raar's
 * projections, position correction) sum over tiles through it too: their evaluations' shares
 * ({@link sumShare}), overlap quotients ({@link sumQuotient}), probe-sized sums
 * ({@link sumProbes}), scalars kept on the store ({@link sumValues}, {@link peakValue}) and on
 * the host ({@link sums}, {@link max}). No algorithm holds the tile's `Reduction` itself.
 *
 * @example
 * ```ts
 * const problem = new ReducedProblem({ store, reduction, countProbe: true, eps: 1e-2 });
 * const cost = await problem.gradient(x, g);
 * ```
 */
export class ReducedProblem<H> implements Problem<Variables<H>> {
  readonly store: TileStore<H>;
  readonly #reduction: Reduction<H>;
  readonly #countProbe: boolean;
  readonly #eps: number;
  #active: Parts = { object: true, probe: false };
  #residual: TileResidual = { cost: NaN, numerator: NaN, denominator: NaN };
  #rFactor = NaN;
  /** The R-factor's denominator summed over every tile, once (the frames do not change). */
  #amplitudeTotal: number | null = null;
  /**
   * On tiles: D_O summed over the overlaps, with its floor, for the `x` it was computed at while
   * the probe was not refined (then unchanged on every tile); null when it must be recomputed.
   */
  #summed: { x: Variables<H>; object: H } | null = null;

  constructor(o: ReducedProblemOptions<H>) {
    this.store = o.store;
    this.#reduction = o.reduction;
    this.#countProbe = o.countProbe;
    this.#eps = o.eps;
  }

  /** The parts switched on by {@link setActive}. */
  get active(): Parts {
    return { ...this.#active };
  }

  setActive(parts: Parts): void {
    this.#active = { ...parts };
  }

  create(label: string): Variables<H> {
    return this.store.create(label);
  }

  destroy(v: Variables<H>): void {
    this.store.destroy(v);
  }

  upload(object: Float32Array, probe: Float32Array, label?: string): Variables<H> {
    return this.store.upload(object, probe, label);
  }

  download(v: Variables<H>): Promise<{ object: Float32Array; probe: Float32Array }> {
    return this.store.download(v);
  }

  copy(src: Variables<H>, dst: Variables<H>): void {
    this.store.copy(src, dst, this.#active);
  }

  axpy(dst: Variables<H>, x: Variables<H>, a: number, y: Variables<H>): void {
    this.store.axpy(dst, x, a, y, this.#active);
  }

  scale(dst: Variables<H>, a: number, x: Variables<H>): void {
    this.store.scale(dst, a, x, this.#active);
  }

  /** Re <a, b> over the owned object region (all slices) and, when counted, the probe. */
  async dot(a: Variables<H>, b: Variables<H>): Promise<number> {
    return (await this.dots([[a, b]]))[0];
  }

  /** {@link dot} of every pair, from one read-back and one all-reduce, each with its `dot`'s bits. */
  async dots(pairs: [Variables<H>, Variables<H>][]): Promise<number[]> {
    return await this.#reduction.sums(await this.#localDots(pairs));
  }

  /** This tile's terms of {@link dots}, before the sum over tiles. */
  #localDots(pairs: [Variables<H>, Variables<H>][]): Promise<number[]> {
    const { ownedRegion, alsoOwned = [] } = this.#reduction;
    return this.store.localDots(pairs, {
      object: this.#active.object ? [ownedRegion, ...alsoOwned] : null,
      probe: this.#active.probe && this.#countProbe,
    });
  }

  cost(x: Variables<H>): Promise<number> {
    return this.#evaluate(x, null);
  }

  gradient(x: Variables<H>, g: Variables<H>): Promise<number> {
    return this.#evaluate(x, g);
  }

  /**
   * {@link gradient} at x into g, then {@link precondition} at x into `out` (which may be x: x is
   * read before out is written), then {@link dots} of `pairs`, with the bits of those calls made
   * in turn; but the tile's sums are read back with its dot products, and summed over the tiles
   * with them, in one all-reduce. On a device every read-back waits until the queue has run (and
   * the device idles until the host submits again), so this waits once where the calls in turn
   * wait twice, and synchronises the tiles once instead of twice.
   */
  async gradientThenDots(
    x: Variables<H>,
    g: Variables<H>,
    out: Variables<H>,
    pairs: [Variables<H>, Variables<H>][],
  ): Promise<{ cost: number; dots: number[] }> {
    const share = await this.#localGradient(x, g, false);
    await this.precondition(x, g, out);
    // The dot products' read-back is issued first: it waits for the queue, the share's then not.
    const dots = this.#localDots(pairs);
    const [mine, locals] = await Promise.all([share(), dots]);
    const { cost, extra } = await this.#sumShare(mine, locals);
    return { cost, dots: extra };
  }

  /**
   * The amplitude R-factor sum | |Psi| - sqrt(d) | / sum sqrt(d) over unmasked pixels (|Psi| from
   * the intensity summed over modes) of the latest cost or gradient evaluation, over every
   * tile's positions (DESIGN section 7); NaN before the first.
   */
  get rFactor(): number {
    return this.#rFactor;
  }

  /**
   * This tile's share of the latest evaluation, before the sum over tiles: its cost and the
   * numerator and denominator of {@link rFactor} (the live view's per-tile residual).
   */
  get residual(): TileResidual {
    return { ...this.#residual };
  }

  /**
   * out <- M g, the diagonal preconditioner of `gd` (as the float64 reference problem's): the
   * object gradient divided by D_O, the probe intensity that reached each pixel, and the probe
   * gradient by D_P, the object intensity under the windows, each floored at eps max D so that
   * dim pixels do not get unbounded steps: out = g / (D + eps max D). D_O is summed over the
   * tiles' overlaps and its peak taken over all tiles, D_P all-reduced (then its peak is the
   * same everywhere), so that tiled steps equal untiled ones.
   *
   * On tiles D_O costs an exchange and a read-back, so it is kept while the probe is not
   * refined: the probe then has not changed since the last call, on any tile (each holds the
   * same all-reduced probe and takes the same decision, so the collectives stay in step). One
   * tile alone leaves it to the store, which compares the probe's bits on the device.
   */
  async precondition(x: Variables<H>, g: Variables<H>, out: Variables<H>): Promise<void> {
    const { store } = this;
    const reduction = this.#reduction;
    const active = this.active;
    const local = reduction.local === true;
    const kept = !local && !active.probe && this.#summed?.x === x ? this.#summed : null;
    const weights: Weights<H> = kept
      ? { object: kept.object }
      : await store.weights(x, active, local);
    if (active.object && !kept) {
      // A tile saw only its own positions: the windows of its neighbours' positions reaching
      // into its region are added in, so that every pixel holds the untiled D_O.
      await reduction.sumOverlaps?.(weights.object!);
      store.floor("object", weights.object!, this.#eps);
      // eps > 0 rounds monotonically: the largest of the tiles' floors is bitwise the untiled
      // eps max D. One tile alone keeps its floor where it is (no read-back).
      if (reduction.max) {
        store.writeFloor("object", await reduction.max(await store.readFloor("object")));
      }
    }
    if (active.probe) {
      // D_P sums over every position of every tile; once all-reduced it is the same on all
      // tiles, and so is its peak.
      await reduction.sumProbe(weights.probe!);
      store.floor("probe", weights.probe!, this.#eps);
    }
    this.#summed = !local && active.object && !active.probe ? { x, object: weights.object! } : null;
    await store.divide(active, weights, g, out);
  }

  /** Resolves once the work queued on the tile's vectors has run. */
  finish(): Promise<void> {
    return this.store.finish();
  }

  /** Frees what the store allocated. */
  dispose(): void {
    this.store.dispose();
  }

  /** The positions moved: the preconditioner's D_O is recomputed at the next call. */
  invalidate(): void {
    this.#summed = null;
    this.store.invalidate();
  }

  /** The tile's cost (and gradient), then the sums over tiles in a fixed order. */
  async #evaluate(x: Variables<H>, g: Variables<H> | null): Promise<number> {
    const share = g
      ? await this.#localGradient(x, g, true)
      : (await this.store.evaluate(x, null, this.active)).share;
    return (await this.sumShare(await share())).cost;
  }

  /**
   * The tile's evaluation at x with the complete gradient in g (the neighbours' overlaps added,
   * the probe gradient summed over the tiles); the returned function reads the tile's share.
   * `early`: the share is read back at once, while the gradients travel (their read-back then
   * waits with it), rather than when the caller asks.
   */
  async #localGradient(
    x: Variables<H>,
    g: Variables<H>,
    early: boolean,
  ): Promise<() => Promise<TileResidual>> {
    const active = this.active;
    const exchange = active.object ? () => this.#reduction.exchangeObject(g.object) : undefined;
    const { share, exchanged } = await this.store.evaluate(x, g, active, exchange);
    const read = early ? share() : null;
    read?.catch(() => {});
    await exchanged;
    if (active.probe) await this.#reduction.sumProbe(g.probe);
    return read ? () => read : share;
  }

  /**
   * Sums a tile's share of an evaluation over the tiles, its own or one an algorithm made in its
   * own passes (lsqml's sweep, dm's and raar's iterations): cost and R-factor numerator, and at
   * the first evaluation the R-factor's denominator, in one all-reduce. The share becomes
   * {@link residual}, the R-factor {@link rFactor}.
   */
  async sumShare(share: TileResidual): Promise<{ cost: number; rFactor: number }> {
    const { cost, rFactor } = await this.#sumShare(share, []);
    return { cost, rFactor };
  }

  /** {@link sumShare}, with `extra` scalars summed in the same all-reduce (each with its bits). */
  async #sumShare(
    share: TileResidual,
    extra: number[],
  ): Promise<{ cost: number; rFactor: number; extra: number[] }> {
    this.#residual = { ...share };
    const first = this.#amplitudeTotal === null;
    const values = first
      ? [share.cost, share.numerator, share.denominator]
      : [share.cost, share.numerator];
    const sums = await this.#reduction.sums([...values, ...extra]);
    const [cost, numerator, denominator] = sums;
    this.#amplitudeTotal ??= denominator;
    this.#rFactor = numerator / this.#amplitudeTotal;
    return { cost, rFactor: this.#rFactor, extra: sums.slice(values.length) };
  }

  /**
   * Sums an overlap quotient's parts over the tiles before the division: `numerator` (object
   * S x H x W) over the halos as gradients are, then `weight` (one H x W plane) over the
   * overlaps, so that every pixel holds the untiled sums over the positions that reach it
   * (lsqml's object direction, dm's and raar's overlap projection).
   */
  async sumQuotient(numerator: H, weight: H): Promise<void> {
    await this.#reduction.exchangeObject(numerator);
    await this.#reduction.sumOverlaps?.(weight);
  }

  /** True for one tile alone: every sum over tiles is the tile's own, with no halos to share. */
  get alone(): boolean {
    return this.#reduction.local === true;
  }

  /** All-reduces probe-sized vectors (K x M x M, or one M x M plane) in tile order, in turn. */
  async sumProbes(...vectors: H[]): Promise<void> {
    for (const v of vectors) await this.#reduction.sumProbe(v);
  }

  /**
   * Replaces the first `count` float32 values of a small vector on the store by their sums over
   * the tiles, in one all-reduce (each with the bits of its scalar sum). One tile alone keeps
   * them where they are, without a read-back.
   */
  async sumValues(v: H, count: number): Promise<void> {
    if (this.#reduction.local) return;
    const local = await this.store.readValues(v, count);
    this.store.writeValues(v, Float32Array.from(await this.#reduction.sums([...local])));
  }

  /**
   * Replaces a floor on the store (a complex (f, 0) at its start) by the largest over the
   * tiles: eps > 0 rounds monotonically, so that is bitwise the untiled eps max D. One tile
   * alone keeps it where it is, without a read-back.
   */
  async peakValue(v: H): Promise<void> {
    if (!this.#reduction.max) return;
    const [local] = await this.store.readValues(v, 1);
    this.store.writeValues(v, Float32Array.of(await this.#reduction.max(local), 0));
  }

  /** Sums of host scalars over all tiles in one fixed-order all-reduce (see `Reduction.sums`). */
  sums(values: number[]): Promise<number[]> {
    return this.#reduction.sums(values);
  }

  /** The largest of a host scalar over all tiles (the value itself on one tile alone). */
  max(value: number): Promise<number> {
    return this.#reduction.max ? this.#reduction.max(value) : Promise.resolve(value);
  }
}
