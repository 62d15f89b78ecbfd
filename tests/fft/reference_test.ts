import { assertLessOrEqual } from "../assert.ts";
import { fft1dReference, fft2Reference, fftshift2 } from "../../src/fft/reference.ts";
import { testRandom } from "../kernels/random.ts";

/** Direct O(n^2) unitary DFT of one line, the definition the FFT must agree with. */
function dft(re: Float64Array, im: Float64Array, inverse: boolean): [Float64Array, Float64Array] {
  const n = re.length;
  const outRe = new Float64Array(n);
  const outIm = new Float64Array(n);
  const sign = inverse ? 1 : -1;
  for (let k = 0; k < n; k++) {
    let sr = 0;
    let si = 0;
    for (let x = 0; x < n; x++) {
      const phase = (sign * 2 * Math.PI * ((k * x) % n)) / n;
      sr += re[x] * Math.cos(phase) - im[x] * Math.sin(phase);
      si += re[x] * Math.sin(phase) + im[x] * Math.cos(phase);
    }
    outRe[k] = sr / Math.sqrt(n);
    outIm[k] = si / Math.sqrt(n);
  }
  return [outRe, outIm];
}

function random(length: number): Float64Array {
  return new Float64Array(length).map(() => testRandom() * 2 - 1);
}

function maxDiff(a: Float64Array, b: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

Deno.test("fft1dReference() matches a direct DFT in both directions for n = 1..512", () => {
  for (let n = 1; n <= 512; n *= 2) {
    for (const inverse of [false, true]) {
      const re = random(n);
      const im = random(n);
      const [wantRe, wantIm] = dft(re, im, inverse);
      fft1dReference(re, im, n, inverse);
      assertLessOrEqual(maxDiff(re, wantRe), 1e-12, `n = ${n} re`);
      assertLessOrEqual(maxDiff(im, wantIm), 1e-12, `n = ${n} im`);
    }
  }
});

Deno.test("fft2Reference() matches row-then-column DFTs for 16 x 16 x 3", () => {
  const n = 16;
  const batch = 3;
  const re = random(n * n * batch);
  const im = random(n * n * batch);
  const wantRe = re.slice();
  const wantIm = im.slice();
  for (let f = 0; f < batch; f++) {
    const base = f * n * n;
    for (let y = 0; y < n; y++) {
      const [r, i] = dft(
        wantRe.slice(base + y * n, base + y * n + n),
        wantIm.slice(base + y * n, base + y * n + n),
        false,
      );
      wantRe.set(r, base + y * n);
      wantIm.set(i, base + y * n);
    }
    for (let x = 0; x < n; x++) {
      const colRe = new Float64Array(n).map((_, y) => wantRe[base + y * n + x]);
      const colIm = new Float64Array(n).map((_, y) => wantIm[base + y * n + x]);
      const [r, i] = dft(colRe, colIm, false);
      for (let y = 0; y < n; y++) {
        wantRe[base + y * n + x] = r[y];
        wantIm[base + y * n + x] = i[y];
      }
    }
  }
  fft2Reference(re, im, n, batch, false);
  assertLessOrEqual(maxDiff(re, wantRe), 1e-12);
  assertLessOrEqual(maxDiff(im, wantIm), 1e-12);
});

Deno.test("fftshift2() moves pixel (0, 0) to (n/2, n/2) and undoes itself", () => {
  const n = 8;
  const re = random(n * n * 2);
  const im = random(n * n * 2);
  const before = re.slice();
  const beforeIm = im.slice();
  fftshift2(re, im, n, 2);
  for (let f = 0; f < 2; f++) {
    for (let y = 0; y < n; y++) {
      for (let x = 0; x < n; x++) {
        const to = f * n * n + ((y + n / 2) % n) * n + ((x + n / 2) % n);
        assertLessOrEqual(Math.abs(re[to] - before[f * n * n + y * n + x]), 0);
        assertLessOrEqual(Math.abs(im[to] - beforeIm[f * n * n + y * n + x]), 0);
      }
    }
  }
  fftshift2(re, im, n, 2);
  assertLessOrEqual(maxDiff(re, before), 0);
  assertLessOrEqual(maxDiff(im, beforeIm), 0);
});
