/**
 * Fourier-space pieces of the forward model shared by the float64 reference and the GPU operators:
 * window placement, FFT frequencies, the sub-pixel shift and the band-limited Fresnel kernel.
 *
 * @module
 */

/** Fresnel propagation between slices of a multislice object. */
export interface Propagation {
  /** Wavelength, metres. */
  wavelength: number;
  /** Distance between slices dz, metres. */
  sliceThickness: number;
  /** Object pixel size dx, metres. */
  pixelSize: number;
}

/** Angular-spectrum propagation from the exit plane to a near-field detector. */
export interface NearFieldPropagation {
  /** Wavelength, metres. */
  wavelength: number;
  /** Propagation distance z, metres (the effective distance z2 / M in a cone beam). */
  distance: number;
  /** Object pixel size, metres (the detector pixel over the magnification in a cone beam). */
  pixelSize: number;
}

/**
 * The two dimensionless numbers the angular-spectrum kernel needs, per frequency u in cycles
 * per pixel: a = lambda / dx (evanescent when a^2 u^2 > 1) and b = z lambda / dx^2 (the phase
 * is -2 pi b u^2 / (1 + sqrt(1 - a^2 u^2))). Shared with `wgsl/angular_spectrum.wgsl`.
 */
export function angularSpectrumScales(p: NearFieldPropagation): { a: number; b: number } {
  return {
    a: p.wavelength / p.pixelSize,
    b: p.distance * p.wavelength / (p.pixelSize * p.pixelSize),
  };
}

/**
 * Angular-spectrum transfer function H = exp(i 2 pi z (sqrt(1/lambda^2 - f^2) - 1/lambda)),
 * M x M interleaved in FFT order, f = |(fx, fy)| in cycles per metre; zero where f > 1/lambda
 * (evanescent waves). The carrier exp(i 2 pi z / lambda), one phase for the whole frame and
 * invisible in any intensity, is left out: with it the phase would be ~z/lambda ~ 1e7 cycles,
 * far beyond float32 on the device. The phase is written as -2 pi z lambda f^2 /
 * (1 + sqrt(1 - lambda^2 f^2)), which does not cancel catastrophically for f << 1/lambda.
 */
export function angularSpectrumKernel(frame: number, p: NearFieldPropagation): Float64Array {
  const out = new Float64Array(2 * frame * frame);
  const { a, b } = angularSpectrumScales(p);
  for (let y = 0; y < frame; y++) {
    const uy = frequency(y, frame);
    for (let x = 0; x < frame; x++) {
      const ux = frequency(x, frame);
      const u2 = ux * ux + uy * uy;
      const c = 1 - a * a * u2;
      if (c < 0) continue;
      const phase = -2 * Math.PI * b * u2 / (1 + Math.sqrt(c));
      out[2 * (y * frame + x)] = Math.cos(phase);
      out[2 * (y * frame + x) + 1] = Math.sin(phase);
    }
  }
  return out;
}

/** Where probe window j lies: its top-left object pixel and the sub-pixel remainder. */
export interface Window {
  top: number;
  left: number;
  /** Fractional shift in [0, 1), applied to the probe by a Fourier shift. */
  fy: number;
  fx: number;
}

/**
 * The window of a position: the probe centre (M/2, M/2) lands on (y, x), with the integer part
 * taken by `floor` so that the remainder is a shift in [0, 1).
 */
export function windowOf(y: number, x: number, frame: number): Window {
  const iy = Math.floor(y);
  const ix = Math.floor(x);
  return { top: iy - frame / 2, left: ix - frame / 2, fy: y - iy, fx: x - ix };
}

/** Frequency of FFT bin i in cycles per pixel, numpy `fftfreq` order (Nyquist negative). */
export function frequency(i: number, n: number): number {
  return (i < n / 2 ? i : i - n) / n;
}

/**
 * Band-limited Fresnel transfer function exp(-i pi lambda dz (kx^2 + ky^2)), M x M interleaved in
 * FFT order. Frequencies beyond 2/3 of Nyquist are cut: the product of two band-limited waves
 * then does not alias back into the band (the usual multislice anti-aliasing rule).
 */
export function fresnelKernel(frame: number, p: Propagation): Float64Array {
  const out = new Float64Array(2 * frame * frame);
  const kmax = (2 / 3) * (0.5 / p.pixelSize);
  for (let y = 0; y < frame; y++) {
    const ky = frequency(y, frame) / p.pixelSize;
    for (let x = 0; x < frame; x++) {
      const kx = frequency(x, frame) / p.pixelSize;
      const k2 = kx * kx + ky * ky;
      if (k2 > kmax * kmax) continue;
      const phase = -Math.PI * p.wavelength * p.sliceThickness * k2;
      out[2 * (y * frame + x)] = Math.cos(phase);
      out[2 * (y * frame + x) + 1] = Math.sin(phase);
    }
  }
  return out;
}

/** exp(-2 pi i (ky fy + kx fx)) in FFT order: P(r - f) in Fourier space; null for f = 0. */
export function shiftKernel(frame: number, fy: number, fx: number): Float64Array | null {
  if (fy === 0 && fx === 0) return null;
  const out = new Float64Array(2 * frame * frame);
  for (let y = 0; y < frame; y++) {
    for (let x = 0; x < frame; x++) {
      const phase = -2 * Math.PI * (frequency(y, frame) * fy + frequency(x, frame) * fx);
      out[2 * (y * frame + x)] = Math.cos(phase);
      out[2 * (y * frame + x) + 1] = Math.sin(phase);
    }
  }
  return out;
}
