/**
 * Illumination: focused probes from an aperture and a defocus, and a blurred disk to start a
 * reconstruction whose probe is unknown.
 *
 * @module
 */
import { fft2Reference, fftshift2 } from "../fft/reference.ts";
import { frequency, fresnelKernel } from "../physics/fourier.ts";
import type { Random } from "./random.ts";

/** A focused probe: the image of a circular aperture, defocused. */
export interface FocusedProbeOptions {
  /** Frame size M. */
  frame: number;
  /** Object pixel size dx, metres. */
  pixelSize: number;
  /** Wavelength, metres. */
  wavelength: number;
  /** Convergence semi-angle alpha, radians: the aperture passes |k| <= alpha / lambda. */
  semiAngle: number;
  /** Defocus, metres (positive: the sample sits after the focus). */
  defocus: number;
  /** Total intensity sum |P|^2: counts per frame of a pure phase object. */
  counts: number;
}

/**
 * P = F^-1 [ A(k) exp(-i pi lambda df |k|^2) ] with A the aperture, centred on pixel (M/2, M/2),
 * scaled so that sum |P|^2 = counts. The same formula describes an X-ray probe behind a zone plate
 * or a Fresnel lens and an electron probe formed by a condenser aperture (aberrations other than
 * defocus neglected). Interleaved complex, M x M.
 *
 * @example
 * ```ts
 * const probe = focusedProbe({ frame: 64, pixelSize: 2e-11, wavelength: 1.97e-12,
 *   semiAngle: 0.02, defocus: 2e-8, counts: 1e5 });
 * ```
 */
export function focusedProbe(o: FocusedProbeOptions): Float64Array {
  const n = o.frame;
  const kmax = o.semiAngle / o.wavelength;
  const re = new Float64Array(n * n);
  const im = new Float64Array(n * n);
  for (let y = 0; y < n; y++) {
    const ky = frequency(y, n) / o.pixelSize;
    for (let x = 0; x < n; x++) {
      const kx = frequency(x, n) / o.pixelSize;
      const k2 = kx * kx + ky * ky;
      if (k2 > kmax * kmax) continue;
      const chi = -Math.PI * o.wavelength * o.defocus * k2;
      re[y * n + x] = Math.cos(chi);
      im[y * n + x] = Math.sin(chi);
    }
  }
  fft2Reference(re, im, n, 1, true);
  fftshift2(re, im, n, 1);
  return normalized(re, im, o.counts);
}

/** A pinhole-defined beam: a disk Fresnel-propagated to the sample. */
export interface FresnelDiskOptions {
  /** Frame size M. */
  frame: number;
  /** Radius of the disk, pixels. */
  radius: number;
  /** Object pixel size dx, metres. */
  pixelSize: number;
  /** Wavelength, metres. */
  wavelength: number;
  /** Distance from the disk to the sample, metres. */
  distance: number;
  /** Total intensity sum |P|^2. */
  counts: number;
}

/**
 * A uniform disk (edge antialiased over one pixel) Fresnel-propagated over `distance`: the beam
 * behind a pinhole, with edge fringes and a gently curved phase. Centred on (M/2, M/2), scaled so
 * that sum |P|^2 = counts. Interleaved complex, M x M.
 */
export function fresnelDisk(o: FresnelDiskOptions): Float64Array {
  const n = o.frame;
  const re = new Float64Array(n * n);
  const im = new Float64Array(n * n);
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      const r = Math.hypot(y - n / 2, x - n / 2);
      re[y * n + x] = Math.min(1, Math.max(0, o.radius + 0.5 - r));
    }
  }
  const kernel = fresnelKernel(n, {
    wavelength: o.wavelength,
    sliceThickness: o.distance,
    pixelSize: o.pixelSize,
  });
  fftshift2(re, im, n, 1);
  fft2Reference(re, im, n, 1, false);
  for (let i = 0; i < n * n; i++) {
    const [a, b] = [re[i], im[i]];
    re[i] = a * kernel[2 * i] - b * kernel[2 * i + 1];
    im[i] = a * kernel[2 * i + 1] + b * kernel[2 * i];
  }
  fft2Reference(re, im, n, 1, true);
  fftshift2(re, im, n, 1);
  return normalized(re, im, o.counts);
}

/** What {@link structuredBeam} needs. */
export interface StructuredBeamOptions extends FresnelDiskOptions {
  /** Peak-to-mean phase of the random screen over the disk, radians. */
  roughness: number;
  /** Source of the screen's random waves. */
  rng: Random;
}

/**
 * A near-field illumination: a uniform disk behind a smooth random phase screen (a diffuser or
 * the figure errors of the optics: eight cosines of random direction and period 8 to 32 pixels),
 * Fresnel-propagated over `distance`. The structure is what lets a near-field reconstruction
 * tell the probe from the object. Centred on (M/2, M/2), sum |P|^2 = counts.
 */
export function structuredBeam(o: StructuredBeamOptions): Float64Array {
  const n = o.frame;
  const waves = Array.from({ length: 8 }, () => {
    const angle = 2 * Math.PI * o.rng.uniform();
    const k = 2 * Math.PI / (8 + 24 * o.rng.uniform());
    return {
      ky: k * Math.sin(angle),
      kx: k * Math.cos(angle),
      phase: 2 * Math.PI * o.rng.uniform(),
    };
  });
  const re = new Float64Array(n * n);
  const im = new Float64Array(n * n);
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      const r = Math.hypot(y - n / 2, x - n / 2);
      const a = Math.min(1, Math.max(0, o.radius + 0.5 - r));
      let screen = 0;
      for (const w of waves) screen += Math.cos(w.ky * y + w.kx * x + w.phase) / waves.length;
      const phase = o.roughness * screen;
      re[y * n + x] = a * Math.cos(phase);
      im[y * n + x] = a * Math.sin(phase);
    }
  }
  const kernel = fresnelKernel(n, {
    wavelength: o.wavelength,
    sliceThickness: o.distance,
    pixelSize: o.pixelSize,
  });
  fft2Reference(re, im, n, 1, false);
  for (let i = 0; i < n * n; i++) {
    const [a, b] = [re[i], im[i]];
    re[i] = a * kernel[2 * i] - b * kernel[2 * i + 1];
    im[i] = a * kernel[2 * i + 1] + b * kernel[2 * i];
  }
  fft2Reference(re, im, n, 1, true);
  return normalized(re, im, o.counts);
}

/**
 * A disk of `radius` pixels at the frame centre with Gaussian-blurred edges of width `blur`
 * pixels and flat phase, scaled so that sum |P|^2 = counts: the usual first guess of a probe.
 */
export function blurredDisk(o: {
  frame: number;
  radius: number;
  blur: number;
  counts: number;
}): Float64Array {
  const n = o.frame;
  const re = new Float64Array(n * n);
  const im = new Float64Array(n * n);
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      const r = Math.hypot(y - n / 2, x - n / 2);
      // A smooth step: the error function of the edge distance, here by a logistic curve.
      re[y * n + x] = 1 / (1 + Math.exp((r - o.radius) / Math.max(o.blur, 1e-9)));
    }
  }
  return normalized(re, im, o.counts);
}

/** The radius (pixels, from the centre) that holds `fraction` of a probe's intensity. */
export function probeRadius(probe: Float64Array, frame: number, fraction = 0.9): number {
  const pairs: [number, number][] = [];
  let total = 0;
  for (let y = 0; y < frame; y++) {
    for (let x = 0; x < frame; x++) {
      const i = y * frame + x;
      const p = probe[2 * i] ** 2 + probe[2 * i + 1] ** 2;
      pairs.push([Math.hypot(y - frame / 2, x - frame / 2), p]);
      total += p;
    }
  }
  pairs.sort((a, b) => a[0] - b[0]);
  let sum = 0;
  for (const [r, p] of pairs) {
    sum += p;
    if (sum >= fraction * total) return r;
  }
  return frame / 2;
}

function normalized(re: Float64Array, im: Float64Array, counts: number): Float64Array {
  let power = 0;
  for (let i = 0; i < re.length; i++) power += re[i] ** 2 + im[i] ** 2;
  const s = Math.sqrt(counts / power);
  const out = new Float64Array(2 * re.length);
  for (let i = 0; i < re.length; i++) {
    out[2 * i] = s * re[i];
    out[2 * i + 1] = s * im[i];
  }
  return out;
}
