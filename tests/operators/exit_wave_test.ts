import { assert, assertEquals, assertLessOrEqual } from "../assert.ts";
import { type Gpu, requestGpu } from "../../src/gpu/mod.ts";
import { Fft2 } from "../../src/fft/mod.ts";
import { fft2Reference } from "../../src/fft/reference.ts";
import { shiftKernel, windowOf } from "../../src/physics/reference.ts";
import { ExitWave, ObjectWindows, ProbePlacement } from "../../src/operators/mod.ts";
import { maxRelative, nans, randomF32 } from "../kernels/random.ts";
import { randomScan } from "./setup.ts";

const M = 32;

/** float64 shifted probes F^-1(ramp_b spec_k) and exit waves O[window b] times them. */
function reference(
  spectrum: Float32Array,
  object: Float32Array,
  shape: [number, number],
  window: { top: number; left: number; fy: number; fx: number },
  modes: number,
): { waves: Float64Array; out: Float64Array } {
  const m2 = M * M;
  const re = new Float64Array(modes * m2);
  const im = new Float64Array(modes * m2);
  const ramp = shiftKernel(M, window.fy, window.fx)!;
  for (let i = 0; i < modes * m2; i++) {
    const [a, b, c, d] = [
      spectrum[2 * i],
      spectrum[2 * i + 1],
      ramp[2 * (i % m2)],
      ramp[2 * (i % m2) + 1],
    ];
    re[i] = a * c - b * d;
    im[i] = a * d + b * c;
  }
  fft2Reference(re, im, M, modes, true);
  const waves = new Float64Array(2 * modes * m2);
  const out = new Float64Array(2 * modes * m2);
  for (let i = 0; i < modes * m2; i++) {
    const p = i % m2;
    const o = 2 * ((window.top + Math.floor(p / M)) * shape[1] + window.left + (p % M));
    [waves[2 * i], waves[2 * i + 1]] = [re[i], im[i]];
    out[2 * i] = object[o] * re[i] - object[o + 1] * im[i];
    out[2 * i + 1] = object[o] * im[i] + object[o + 1] * re[i];
  }
  return { waves, out };
}

/** An exit wave of 6 positions and 2 modes on a 75 x 80 object, on an FFT of `design`. */
async function openExitWave(gpu: Gpu, design: "unrolled" | "workgroup") {
  const fft = await Fft2.create(gpu, M, { design });
  const [positions, modes] = [6, 2];
  const shape: [number, number] = [75, 80];
  const scan = randomScan(gpu, positions, M, shape);
  const placement = await ProbePlacement.create(gpu, fft, scan, modes);
  const windows = await ObjectWindows.create(gpu, scan);
  const exitWave = await ExitWave.create({ gpu, fft, placement, windows });
  const destroy = () => {
    exitWave.destroy();
    placement.destroy();
    scan.destroy();
    fft.destroy();
  };
  return { scan, exitWave, positions, modes, shape, destroy };
}

for (const design of ["unrolled", "workgroup"] as const) {
  Deno.test(`ExitWave makes O[window] F^-1(ramp spec) like float64, kept waves or not (${design} FFT)`, async () => {
    const gpu = await requestGpu({ label: "exit wave test" });
    try {
      const { scan, exitWave, positions, modes, shape, destroy } = await openExitWave(gpu, design);
      // The unrolled design fuses the work into the FFT; the workgroup design runs it apart.
      assert(exitWave.isFused === (design === "unrolled"));
      const spectrum = randomF32(2 * modes * M * M);
      const object = randomF32(2 * shape[0] * shape[1]);
      const n = 2 * positions * modes * M * M;
      for (const store of [true, false]) {
        const waves = gpu.upload(nans(n), "waves");
        const out = gpu.upload(nans(n), "out");
        exitWave.forward({
          spectrum: gpu.upload(spectrum, "spectrum"),
          object: gpu.upload(object, "object"),
          waves,
          out,
          batch: scan.batches[0],
          store,
        });
        const [gotWaves, gotOut] = [await gpu.readF32(waves), await gpu.readF32(out)];
        const frame = 2 * modes * M * M;
        for (let b = 0; b < positions; b++) {
          const w = windowOf(scan.positionsY[b], scan.positionsX[b], M);
          const want = reference(spectrum, object, shape, w, modes);
          const slot = (x: Float32Array) => x.subarray(b * frame, (b + 1) * frame);
          assertLessOrEqual(maxRelative(slot(gotOut), want.out), 1e-5, `out, position ${b}`);
          if (store) {
            assertLessOrEqual(maxRelative(slot(gotWaves), want.waves), 1e-5, `wave ${b}`);
          }
        }
        // Without `store` the waves stay untouched.
        if (!store) assert(gotWaves.every(Number.isNaN));
        gpu.release(waves, out);
      }
      destroy();
    } finally {
      gpu.destroy();
    }
  });
}

/** float64 F(conj(O[window b]) chi[b, k]) of every frame of a batch (count x K x M x M). */
function adjointReference(
  chi: Float32Array,
  object: Float32Array,
  shape: [number, number],
  windows: { top: number; left: number }[],
  modes: number,
): Float64Array {
  const m2 = M * M;
  const frames = windows.length * modes;
  const re = new Float64Array(frames * m2);
  const im = new Float64Array(frames * m2);
  for (let i = 0; i < frames * m2; i++) {
    const w = windows[Math.floor(i / (modes * m2))];
    const p = i % m2;
    const o = 2 * ((w.top + Math.floor(p / M)) * shape[1] + w.left + (p % M));
    const [a, b, c, d] = [object[o], -object[o + 1], chi[2 * i], chi[2 * i + 1]];
    re[i] = a * c - b * d;
    im[i] = a * d + b * c;
  }
  fft2Reference(re, im, M, frames, false);
  const out = new Float64Array(2 * frames * m2);
  for (let i = 0; i < frames * m2; i++) [out[2 * i], out[2 * i + 1]] = [re[i], im[i]];
  return out;
}

for (const design of ["unrolled", "workgroup"] as const) {
  Deno.test(`ExitWave.adjoint makes F(conj(O[window]) chi) like float64, apart or in place (${design} FFT)`, async () => {
    const gpu = await requestGpu({ label: "exit wave adjoint test" });
    try {
      const { scan, exitWave, positions, modes, shape, destroy } = await openExitWave(gpu, design);
      const n = 2 * positions * modes * M * M;
      const chi = randomF32(n);
      const objectValues = randomF32(2 * shape[0] * shape[1]);
      const object = gpu.upload(objectValues, "object");
      const waves = gpu.upload(randomF32(n), "waves");
      const batch = scan.batches[0];
      const want = adjointReference(
        chi,
        objectValues,
        shape,
        Array.from(
          { length: positions },
          (_, b) => windowOf(scan.positionsY[b], scan.positionsX[b], M),
        ),
        modes,
      );
      const chiApart = gpu.upload(chi, "chi");
      const out = gpu.upload(nans(n), "out");
      exitWave.adjoint({ object, chi: chiApart, waves, out, batch });
      const got = await gpu.readF32(out);
      assertLessOrEqual(maxRelative(got, want), 1e-5, "out apart");
      // Apart, chi is only read.
      assertEquals(await gpu.readF32(chiApart), chi);
      const inPlace = gpu.upload(chi, "chi in place");
      exitWave.adjoint({ object, chi: inPlace, waves, out: inPlace, batch });
      assertEquals(await gpu.readF32(inPlace), got);
      destroy();
    } finally {
      gpu.destroy();
    }
  });
}
