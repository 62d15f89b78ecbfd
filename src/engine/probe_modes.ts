/**
 * Probe modes for output: orthogonalised and sorted by power. The incoherent sum over modes is
 * all the data sees, and any unitary mixing of the modes keeps it, so the modes a solver ends
 * with are one basis of many. The eigenvectors of their Gram matrix give the one whose modes are
 * orthogonal, the basis other programs report (and in which mode powers mean something).
 */
import type { ComplexArray } from "../data/dataset.ts";

/** Orthogonal modes and each one's fraction of the total power. */
export interface OrthogonalModes {
  /** K x M x M complex, mode 0 the strongest; sum_k |P_k|^2 as before. */
  probe: ComplexArray;
  /** Power of each mode over the total, in the same order (sums to 1). */
  power: number[];
}

/**
 * Q_k = sum_j z_k[j] P_j with z_k the unit eigenvectors of the Gram matrix G_ij = <P_i, P_j>
 * (G z_k = lambda_k z_k), so <Q_k, Q_l> = lambda_k delta_kl, sorted by lambda_k descending.
 *
 * @example
 * ```ts
 * const { probe, power } = orthogonalModes(result.probe); // power [0.93, 0.05, 0.02]
 * ```
 */
export function orthogonalModes(p: ComplexArray): OrthogonalModes {
  const modes = p.shape.length === 3 ? p.shape[0] : 1;
  const n = p.data.length / (2 * modes);
  const gram = hermitianGram(p.data, modes, n);
  const vectors = hermitianEigen(gram, modes);
  const out = new Float32Array(p.data.length);
  const power: number[] = [];
  let total = 0;
  for (const { value } of vectors) total += Math.max(0, value);
  for (const [k, { value, re, im }] of vectors.entries()) {
    power.push(total > 0 ? Math.max(0, value) / total : 0);
    for (let i = 0; i < n; i++) {
      let sr = 0, si = 0;
      for (let j = 0; j < modes; j++) {
        const a = p.data[2 * (j * n + i)], b = p.data[2 * (j * n + i) + 1];
        sr += re[j] * a - im[j] * b;
        si += re[j] * b + im[j] * a;
      }
      out[2 * (k * n + i)] = sr;
      out[2 * (k * n + i) + 1] = si;
    }
  }
  return { probe: { shape: [...p.shape], data: out }, power };
}

/** G_ij = sum conj(P_i) P_j as K x K complex (re, im planes), float64. */
function hermitianGram(data: Float32Array, modes: number, n: number) {
  const re = new Float64Array(modes * modes);
  const im = new Float64Array(modes * modes);
  for (let i = 0; i < modes; i++) {
    for (let j = 0; j < modes; j++) {
      let sr = 0, si = 0;
      for (let q = 0; q < n; q++) {
        const a = data[2 * (i * n + q)], b = data[2 * (i * n + q) + 1];
        const c = data[2 * (j * n + q)], d = data[2 * (j * n + q) + 1];
        sr += a * c + b * d;
        si += a * d - b * c;
      }
      re[i * modes + j] = sr;
      im[i * modes + j] = si;
    }
  }
  return { re, im };
}

/**
 * Eigenpairs of a K x K Hermitian matrix A + iB, largest first, through the real symmetric
 * [[A, -B], [B, A]] (each eigenvalue twice: [x; y] and [-y; x] are the same complex vector
 * x + iy times i) diagonalised by cyclic Jacobi rotations; of each pair one vector is kept.
 */
function hermitianEigen(
  g: { re: Float64Array; im: Float64Array },
  k: number,
): { value: number; re: Float64Array; im: Float64Array }[] {
  const n = 2 * k;
  const a = new Float64Array(n * n);
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      const re = g.re[i * k + j], im = g.im[i * k + j];
      a[i * n + j] = re;
      a[(i + k) * n + j + k] = re;
      a[i * n + j + k] = -im;
      a[(i + k) * n + j] = im;
    }
  }
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  jacobi(a, v, n);
  const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => a[y * n + y] - a[x * n + x]);
  const chosen: { value: number; re: Float64Array; im: Float64Array }[] = [];
  for (const c of order) {
    if (chosen.length === k) break;
    const re = Float64Array.from({ length: k }, (_, i) => v[i * n + c]);
    const im = Float64Array.from({ length: k }, (_, i) => v[(i + k) * n + c]);
    // Remove what the chosen vectors already span (the pair partner lies in it entirely).
    for (const u of chosen) {
      let dr = 0, di = 0;
      for (let i = 0; i < k; i++) {
        dr += u.re[i] * re[i] + u.im[i] * im[i];
        di += u.re[i] * im[i] - u.im[i] * re[i];
      }
      for (let i = 0; i < k; i++) {
        re[i] -= dr * u.re[i] - di * u.im[i];
        im[i] -= dr * u.im[i] + di * u.re[i];
      }
    }
    let norm = 0;
    for (let i = 0; i < k; i++) norm += re[i] ** 2 + im[i] ** 2;
    if (norm < 0.25) continue;
    const s = 1 / Math.sqrt(norm);
    chosen.push({ value: a[c * n + c], re: re.map((x) => x * s), im: im.map((x) => x * s) });
  }
  return chosen;
}

/** Cyclic Jacobi: a (symmetric n x n) becomes diagonal, v accumulates the rotations. */
function jacobi(a: Float64Array, v: Float64Array, n: number): void {
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0, scale = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        if (i !== j) off += a[i * n + j] ** 2;
        scale += a[i * n + j] ** 2;
      }
    }
    if (off <= 1e-30 * scale) return;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q];
        if (apq === 0) continue;
        const theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1), s = t * c;
        for (let r = 0; r < n; r++) {
          const arp = a[r * n + p], arq = a[r * n + q];
          a[r * n + p] = c * arp - s * arq;
          a[r * n + q] = s * arp + c * arq;
        }
        for (let r = 0; r < n; r++) {
          const apr = a[p * n + r], aqr = a[q * n + r];
          a[p * n + r] = c * apr - s * aqr;
          a[q * n + r] = s * apr + c * aqr;
        }
        for (let r = 0; r < n; r++) {
          const vrp = v[r * n + p], vrq = v[r * n + q];
          v[r * n + p] = c * vrp - s * vrq;
          v[r * n + q] = s * vrp + c * vrq;
        }
      }
    }
  }
}
