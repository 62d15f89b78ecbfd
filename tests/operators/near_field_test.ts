import { assert, assertLessOrEqual } from "../assert.ts";
import { Fft2 } from "../../src/fft/mod.ts";
import { fft2Reference } from "../../src/fft/reference.ts";
import {
  angularSpectrumKernel,
  fresnelKernel,
  type NearFieldPropagation,
} from "../../src/physics/reference.ts";
import { Fresnel, NearField } from "../../src/operators/mod.ts";
import { Random } from "../../src/simulate/random.ts";
import { maxRelative, nans } from "../kernels/random.ts";
import { checkAdjoint } from "./adjoint.ts";
import { multiplyFrames, viaPlanes } from "./planes.ts";
import { withBench } from "./setup.ts";

const M = 32;
const rng = new Random(1207);

function seeded(n: number): Float32Array {
  return Float32Array.from({ length: n }, () => 2 * rng.uniform() - 1);
}

/** X-rays: lambda << dx, every frequency propagates. */
const XRAY: NearFieldPropagation = { wavelength: 1e-10, distance: 3.6e-3, pixelSize: 1.8e-7 };
/** lambda = 3 dx: frequencies beyond 1/lambda (a third of the band) are evanescent. */
const EVANESCENT: NearFieldPropagation = { wavelength: 3e-9, distance: 4e-8, pixelSize: 1e-9 };

async function matchesReference(p: NearFieldPropagation, label: string, design = "unrolled") {
  await withBench(M, async ({ gpu }) => {
    const fft = await Fft2.create(gpu, M, { design: design as "unrolled" | "workgroup" });
    const near = await NearField.create(gpu, fft, p);
    // The unrolled design takes H into the inverse FFT's loads; the workgroup design runs it apart.
    assert(near.isFused === (design === "unrolled"));
    const batch = 3;
    const n = batch * M * M;
    const kernel = angularSpectrumKernel(M, p);
    for (const conj of [false, true]) {
      const x = seeded(2 * n);
      const out = gpu.upload(nans(2 * n), "near-field out");
      const input = gpu.upload(x, "near-field x");
      if (conj) near.adjoint(input, out, batch);
      else near.forward(input, out, batch);
      const want = viaPlanes(x, (re, im) => {
        fft2Reference(re, im, M, batch, false);
        multiplyFrames(re, im, kernel, conj);
        fft2Reference(re, im, M, batch, true);
      });
      const error = maxRelative(await gpu.readF32(out), want);
      assertLessOrEqual(error, 1e-5, `${label}, ${conj ? "adjoint" : "forward"}`);
      gpu.release(out, input);
    }
    near.destroy();
    fft.destroy();
  });
}

Deno.test("NearField matches F^-1 H F in float64, forward and adjoint, with all waves propagating", async () => {
  await matchesReference(XRAY, "x-ray near field");
});

Deno.test("NearField matches float64 where a third of the band is evanescent, which it zeroes", async () => {
  const kernel = angularSpectrumKernel(M, EVANESCENT);
  let zeros = 0;
  for (let i = 0; i < kernel.length; i += 2) if (kernel[i] === 0 && kernel[i + 1] === 0) zeros++;
  assert(zeros > M * M / 4, `expected evanescent frequencies, got ${zeros} zeros`);
  await matchesReference(EVANESCENT, "evanescent near field");
});

Deno.test("NearField matches float64 with H in a pass of its own (workgroup FFT), evanescent band included", async () => {
  await matchesReference(EVANESCENT, "evanescent near field, H apart", "workgroup");
});

Deno.test("NearField passes the adjoint test and, with every wave propagating, keeps the norm", async () => {
  await withBench(M, async ({ gpu, fft }) => {
    for (const [p, unitary] of [[XRAY, true], [EVANESCENT, false]] as const) {
      const near = await NearField.create(gpu, fft, p);
      const batch = 2;
      await checkAdjoint(gpu, {
        label: `near field, lambda / dx = ${p.wavelength / p.pixelSize}`,
        domain: batch * M * M,
        range: batch * M * M,
        unitary,
        forward: (x, out) => near.forward(x, out, batch),
        adjoint: (y, out) => near.adjoint(y, out, batch),
      });
      near.destroy();
    }
  });
});

Deno.test("NearField.create() rejects a distance that is not positive", async () => {
  await withBench(M, async ({ gpu, fft }) => {
    let message = "";
    await NearField.create(gpu, fft, { ...XRAY, distance: 0 }).catch((e) => message = e.message);
    assert(message.includes("distance is 0"), message);
  });
});

/**
 * A Gaussian beam exp(-r^2 / w0^2) after propagating z, paraxially (exact for the Fresnel
 * kernel, to ~(lambda / w0)^4 for the angular spectrum): u = exp(-r^2 / (w0^2 q)) / q with
 * q = 1 + i z / zR, zR = pi w0^2 / lambda. Its intensity has width w0 sqrt(1 + (z / zR)^2) and
 * its on-axis phase is the Gouy phase -atan(z / zR).
 */
const BEAM = { frame: 128, wavelength: 1e-10, pixelSize: 1e-7, waist: 8e-7 };
const RAYLEIGH = Math.PI * BEAM.waist ** 2 / BEAM.wavelength;

function gaussian(): Float32Array {
  const n = BEAM.frame;
  const out = new Float32Array(2 * n * n);
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      const r2 = ((y - n / 2) ** 2 + (x - n / 2) ** 2) * BEAM.pixelSize ** 2;
      out[2 * (y * n + x)] = Math.exp(-r2 / BEAM.waist ** 2);
    }
  }
  return out;
}

/** Width w of I ~ exp(-2 r^2 / w^2) from its second moment (<x^2> = w^2 / 4) and the axis phase. */
function beamOf(u: ArrayLike<number>): { width: number; phase: number } {
  const n = BEAM.frame;
  let total = 0, moment = 0;
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      const i = 2 * (y * n + x);
      const intensity = u[i] ** 2 + u[i + 1] ** 2;
      total += intensity;
      moment += intensity * (x - n / 2) ** 2 * BEAM.pixelSize ** 2;
    }
  }
  const axis = 2 * ((n / 2) * n + n / 2);
  return { width: 2 * Math.sqrt(moment / total), phase: Math.atan2(u[axis + 1], u[axis]) };
}

function checkBeam(u: ArrayLike<number>, z: number, label: string) {
  const { width, phase } = beamOf(u);
  const wantWidth = BEAM.waist * Math.sqrt(1 + (z / RAYLEIGH) ** 2);
  const wantPhase = -Math.atan(z / RAYLEIGH);
  assertLessOrEqual(
    Math.abs(width / wantWidth - 1),
    1e-4,
    `${label}: width ${width} m, expected ${wantWidth} m`,
  );
  assertLessOrEqual(
    Math.abs(phase - wantPhase),
    1e-4,
    `${label}: on-axis phase ${phase} rad, expected the Gouy phase ${wantPhase} rad`,
  );
}

const DISTANCES = [0.5 * RAYLEIGH, RAYLEIGH, 1.7 * RAYLEIGH];

Deno.test("angularSpectrumKernel() spreads a Gaussian beam to its analytic width and Gouy phase", () => {
  for (const z of DISTANCES) {
    const p = { wavelength: BEAM.wavelength, distance: z, pixelSize: BEAM.pixelSize };
    const u = viaPlanes(gaussian(), (re, im) => {
      fft2Reference(re, im, BEAM.frame, 1, false);
      multiplyFrames(re, im, angularSpectrumKernel(BEAM.frame, p));
      fft2Reference(re, im, BEAM.frame, 1, true);
    });
    checkBeam(u, z, `float64 angular spectrum at z = ${z} m`);
  }
});

Deno.test("NearField and Fresnel give a Gaussian beam its analytic width and Gouy phase", async () => {
  await withBench(BEAM.frame, async ({ gpu, fft, ew }) => {
    for (const z of DISTANCES) {
      const near = await NearField.create(gpu, fft, {
        wavelength: BEAM.wavelength,
        distance: z,
        pixelSize: BEAM.pixelSize,
      });
      const fresnel = new Fresnel(gpu, fft, ew, {
        wavelength: BEAM.wavelength,
        sliceThickness: z,
        pixelSize: BEAM.pixelSize,
      });
      for (const [label, op] of [["NearField", near], ["Fresnel", fresnel]] as const) {
        const out = gpu.upload(nans(2 * BEAM.frame ** 2), "beam");
        op.forward(gpu.upload(gaussian(), "waist"), out, 1);
        checkBeam(await gpu.readF32(out), z, `${label} at z = ${z} m`);
        gpu.release(out);
      }
      near.destroy();
      fresnel.destroy();
    }
  });
});

Deno.test("fresnelKernel() gives a Gaussian beam its analytic Gouy phase in float64", () => {
  const z = RAYLEIGH;
  const p = { wavelength: BEAM.wavelength, sliceThickness: z, pixelSize: BEAM.pixelSize };
  const u = viaPlanes(gaussian(), (re, im) => {
    fft2Reference(re, im, BEAM.frame, 1, false);
    multiplyFrames(re, im, fresnelKernel(BEAM.frame, p));
    fft2Reference(re, im, BEAM.frame, 1, true);
  });
  checkBeam(u, z, "float64 Fresnel");
});
