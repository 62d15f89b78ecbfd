/**
 * Float64 references of the exit-wave updates, for tests: the projection algorithms' (difference
 * map, RAAR; `src/cost/exit_update.ts`) and LSQ-ML's Poisson step (`src/cost/poisson_step.ts`),
 * compared with the device kernels on random inputs.
 *
 * @module
 */

/** Options of {@link exitUpdateReference}: interleaved complex waves, count x K x M^2. */
export interface ExitUpdateReferenceOptions {
  frames: ArrayLike<number>;
  weights: ArrayLike<number>;
  model: ArrayLike<number>;
  exits: ArrayLike<number>;
  count: number;
  modes: number;
  m2: number;
  beta: number;
  init: boolean;
}

/**
 * psi <- beta (psi + Pi_F(2 phi - psi) - phi) + (1 - beta) phi per pixel and mode, with
 * Pi_F(f)_k = f_k sqrt(d) / sqrt(sum_k |f_k|^2) on good pixels (0 where the sum is 0) and f_k on
 * masked ones (Luke 2005's RAAR; beta = 1 is Thibault et al.'s difference map). `init` takes
 * psi = phi. Returns the new psi.
 */
export function exitUpdateReference(o: ExitUpdateReferenceOptions): Float64Array {
  const out = new Float64Array(2 * o.count * o.modes * o.m2);
  for (let b = 0; b < o.count; b++) {
    for (let q = 0; q < o.m2; q++) {
      const at = (k: number) => 2 * ((b * o.modes + k) * o.m2 + q);
      const f: Array<[number, number]> = [];
      let intensity = 0;
      for (let k = 0; k < o.modes; k++) {
        const i = at(k);
        const psi = o.init ? [o.model[i], o.model[i + 1]] : [o.exits[i], o.exits[i + 1]];
        const v: [number, number] = [2 * o.model[i] - psi[0], 2 * o.model[i + 1] - psi[1]];
        f.push(v);
        intensity += v[0] * v[0] + v[1] * v[1];
      }
      const d = Math.max(0, o.frames[b * o.m2 + q]);
      const factor = o.weights[q] === 0 ? 1 : intensity > 0 ? Math.sqrt(d / intensity) : 0;
      for (let k = 0; k < o.modes; k++) {
        const i = at(k);
        for (const c of [0, 1]) {
          const phi = o.model[i + c];
          const psi = o.init ? phi : o.exits[i + c];
          out[i + c] = o.beta * (psi + factor * f[k][c] - phi) + (1 - o.beta) * phi;
        }
      }
    }
  }
  return out;
}

/** Options of {@link poissonStepReference}: one frame's pixels. */
export interface PoissonStepReferenceOptions {
  /** Model intensities sum_k |Psi_k|^2, M x M. */
  intensity: ArrayLike<number>;
  /** Measured counts, M x M. */
  frame: ArrayLike<number>;
  /** Mask weights, M x M (1 good, 0 bad). */
  weights: ArrayLike<number>;
  /** The intensity floor added to the model (`POISSON_STEP_FLOOR`). */
  floor: number;
  /** Newton iterations (`POISSON_STEP_ITERATIONS`); Infinity for the minimiser. */
  iterations: number;
  /** Where Newton's method starts, in [0, 1] (`POISSON_STEP_START`). */
  start: number;
}

/**
 * LSQ-ML's Poisson exit-wave step of one frame (Odstrčil et al., Opt. Express 26, 3108, 2018):
 * with J = I + floor and xi = 1 - d / J, alpha minimises
 * phi(alpha) = sum w (J s^2 - d log(J s^2)), s = 1 - alpha xi, over [0, 1] by Newton's method
 * from `start`, each iterate clamped (or, with Infinity iterations, by bisection on phi' to float64
 * precision). Returns alpha and the per-pixel factors w alpha xi, so that G = factor Psi_k;
 * `phi` and `slope` (phi') evaluate the frame's objective for the tests' checks.
 */
export function poissonStepReference(o: PoissonStepReferenceOptions): {
  alpha: number;
  factor: Float64Array;
  phi: (alpha: number) => number;
  slope: (alpha: number) => number;
} {
  const n = o.intensity.length;
  const terms = (alpha: number) => {
    let phi = 0, slope = 0, curvature = 0;
    for (let q = 0; q < n; q++) {
      const w = o.weights[q];
      if (w === 0) continue;
      const j = o.intensity[q] + o.floor;
      const d = o.frame[q];
      const xi = 1 - d / j;
      const s = 1 - alpha * xi;
      phi += w * (j * s * s - (d > 0 ? d * Math.log(j * s * s) : 0));
      slope += 2 * w * xi * ((d > 0 ? d / s : 0) - j * s);
      curvature += 2 * w * xi * xi * (j + (d > 0 ? d / (s * s) : 0));
    }
    return { phi, slope, curvature };
  };
  let alpha = o.start;
  if (Number.isFinite(o.iterations)) {
    for (let i = 0; i < o.iterations; i++) {
      const t = terms(alpha);
      alpha = t.curvature > 0 ? Math.min(1, Math.max(0, alpha - t.slope / t.curvature)) : 0;
    }
  } else if (terms(1).slope <= 0) {
    alpha = terms(0).curvature > 0 ? 1 : 0;
  } else if (terms(0).slope < 0) {
    let [lo, hi] = [0, 1];
    for (let i = 0; i < 60; i++) {
      const mid = (lo + hi) / 2;
      if (terms(mid).slope < 0) lo = mid;
      else hi = mid;
    }
    alpha = (lo + hi) / 2;
  }
  const factor = new Float64Array(n);
  for (let q = 0; q < n; q++) {
    factor[q] = o.weights[q] * alpha * (1 - o.frame[q] / (o.intensity[q] + o.floor));
  }
  return { alpha, factor, phi: (a) => terms(a).phi, slope: (a) => terms(a).slope };
}
