/**
 * A small deterministic random number generator: the same seed gives the same data set on every
 * machine and in every Deno version (`Math.random` cannot be seeded).
 *
 * @module
 */

/**
 * Seeded generator (SplitMix32 state update with a 32-bit avalanche mix): uniform, normal and
 * Poisson variates.
 *
 * @example
 * ```ts
 * const rng = new Random(7);
 * const u = rng.uniform(); // in [0, 1)
 * const n = rng.poisson(12.5);
 * ```
 */
export class Random {
  #state: number;
  #spare: number | null = null;

  constructor(seed: number) {
    if (!Number.isInteger(seed)) throw new RangeError(`Expected an integer seed, got ${seed}`);
    this.#state = seed >>> 0;
  }

  /** Uniform in [0, 1), 32 bits of resolution. */
  uniform(): number {
    this.#state = (this.#state + 0x9e3779b9) >>> 0;
    let z = this.#state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return ((z ^ (z >>> 16)) >>> 0) / 4294967296;
  }

  /** Standard normal variate (Box-Muller; the second value of each pair is kept for later). */
  normal(): number {
    if (this.#spare !== null) {
      const v = this.#spare;
      this.#spare = null;
      return v;
    }
    const u = 1 - this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    const t = 2 * Math.PI * this.uniform();
    this.#spare = r * Math.sin(t);
    return r * Math.cos(t);
  }

  /**
   * Poisson variate of mean `mean`: Knuth's product of uniforms for small means, a rounded
   * normal approximation N(mean, mean) above 50, where the two differ by far less than the noise.
   */
  poisson(mean: number): number {
    if (!(mean >= 0)) throw new RangeError(`Expected a non-negative Poisson mean, got ${mean}`);
    if (mean > 50) return Math.max(0, Math.round(mean + Math.sqrt(mean) * this.normal()));
    const limit = Math.exp(-mean);
    let k = 0;
    let p = this.uniform();
    while (p > limit) {
      k++;
      p *= this.uniform();
    }
    return k;
  }

  /** An array of `length` values, each uniform in [lo, hi). */
  uniformArray(length: number, lo = -1, hi = 1): Float64Array {
    const out = new Float64Array(length);
    for (let i = 0; i < length; i++) out[i] = lo + (hi - lo) * this.uniform();
    return out;
  }
}
