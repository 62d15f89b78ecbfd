/**
 * Float64 references of the projection algorithms' pieces (difference map, RAAR), for tests: the
 * device kernels of `src/cost/exit_update.ts` are compared with these on random inputs.
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
