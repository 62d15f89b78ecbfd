import { assertLessOrEqual } from "../assert.ts";
import { fft2Reference, fftshift2 } from "../../src/fft/reference.ts";
import { fresnelKernel, shiftKernel, windowOf } from "../../src/physics/reference.ts";
import { FarField, Fresnel, ObjectWindows, ProbePlacement } from "../../src/operators/mod.ts";
import { maxRelative, nans, randomF32 } from "../kernels/random.ts";
import { checkAdjoint } from "./adjoint.ts";
import { multiplyFrames, viaPlanes } from "./planes.ts";
import { randomScan, withBench } from "./setup.ts";

const M = 32;

Deno.test("FarField is unitary, passes the adjoint test and matches fftshift(F psi) in float64", async () => {
  await withBench(M, async ({ gpu, fft }) => {
    const ff = new FarField(fft);
    const batch = 3;
    const n = batch * M * M;
    await checkAdjoint(gpu, {
      label: "far field",
      domain: n,
      range: n,
      unitary: true,
      forward: (x, out) => ff.forward(x, out, batch),
      adjoint: (y, out) => ff.adjoint(y, out, batch),
    });
    const x = randomF32(2 * n);
    const out = gpu.upload(nans(2 * n), "out");
    ff.forward(gpu.upload(x, "x"), out, batch);
    const want = viaPlanes(x, (re, im) => {
      fft2Reference(re, im, M, batch, false);
      fftshift2(re, im, M, batch);
    });
    assertLessOrEqual(maxRelative(await gpu.readF32(out), want), 1e-5);
  });
});

Deno.test("Fresnel passes the adjoint test, keeps the norm on its passband and matches float64", async () => {
  await withBench(M, async ({ gpu, fft, ew }) => {
    const propagation = { wavelength: 1e-10, sliceThickness: 2e-8, pixelSize: 1e-9 };
    const fresnel = new Fresnel(gpu, fft, ew, propagation);
    const batch = 2;
    const n = batch * M * M;
    const common = {
      domain: n,
      range: n,
      forward: (x: GPUBuffer, out: GPUBuffer) => fresnel.forward(x, out, batch),
      adjoint: (y: GPUBuffer, out: GPUBuffer) => fresnel.adjoint(y, out, batch),
    };
    await checkAdjoint(gpu, { label: "fresnel", ...common });
    await checkAdjoint(gpu, {
      label: "fresnel on its passband",
      ...common,
      unitary: true,
      // Prop^H Prop projects onto the passband, where the propagator is unitary.
      prepare: (x) => {
        fresnel.forward(x, x, batch);
        fresnel.adjoint(x, x, batch);
      },
    });
    const x = randomF32(2 * n);
    const out = gpu.upload(nans(2 * n), "out");
    fresnel.forward(gpu.upload(x, "x"), out, batch);
    const want = viaPlanes(x, (re, im) => {
      fft2Reference(re, im, M, batch, false);
      multiplyFrames(re, im, fresnelKernel(M, propagation));
      fft2Reference(re, im, M, batch, true);
    });
    assertLessOrEqual(maxRelative(await gpu.readF32(out), want), 1e-5);
    fresnel.destroy();
  });
});

Deno.test("ProbePlacement passes the adjoint test and shifts each mode like float64", async () => {
  await withBench(M, async ({ gpu, fft }) => {
    const modes = 2, positions = 5;
    const scan = randomScan(gpu, positions, M, [80, 90]);
    const placement = await ProbePlacement.create(gpu, fft, scan, modes);
    await checkAdjoint(gpu, {
      label: "probe placement",
      domain: modes * M * M,
      range: positions * modes * M * M,
      forward: (x, out) => placement.forward(x, out),
      adjoint: (y, out) => placement.adjoint(y, out),
    });
    const probe = randomF32(2 * modes * M * M);
    const out = gpu.upload(nans(2 * positions * modes * M * M), "out");
    placement.forward(gpu.upload(probe, "probe"), out);
    const got = await gpu.readF32(out);
    for (let b = 0; b < positions; b++) {
      const w = windowOf(scan.positionsY[b], scan.positionsX[b], M);
      const k = shiftKernel(M, w.fy, w.fx)!;
      const want = viaPlanes(probe, (re, im) => {
        fft2Reference(re, im, M, modes, false);
        multiplyFrames(re, im, k);
        fft2Reference(re, im, M, modes, true);
      });
      const frames = got.subarray(b * 2 * modes * M * M, (b + 1) * 2 * modes * M * M);
      assertLessOrEqual(maxRelative(frames, want), 1e-5, `position ${b}`);
    }
    placement.destroy();
    scan.destroy();
  });
});

Deno.test("ObjectWindows extracts windows at floor(position) - M/2 and its overlap-add is the adjoint", async () => {
  await withBench(M, async ({ gpu }) => {
    const shape: [number, number] = [70, 75];
    const positions = 9;
    const scan = randomScan(gpu, positions, M, shape);
    const windows = await ObjectWindows.create(gpu, scan);
    await checkAdjoint(gpu, {
      label: "object windows",
      domain: shape[0] * shape[1],
      range: positions * M * M,
      forward: (x, out) => windows.forward(x, out),
      adjoint: (y, out) => windows.adjoint(y, out),
    });
    const object = randomF32(2 * shape[0] * shape[1]);
    const out = gpu.upload(nans(2 * positions * M * M), "out");
    windows.forward(gpu.upload(object, "object"), out);
    const got = await gpu.readF32(out);
    const want = new Float32Array(got.length);
    for (let b = 0; b < positions; b++) {
      const w = windowOf(scan.positionsY[b], scan.positionsX[b], M);
      for (let p = 0; p < M * M; p++) {
        const src = 2 * ((w.top + Math.floor(p / M)) * shape[1] + w.left + (p % M));
        want[2 * (b * M * M + p)] = object[src];
        want[2 * (b * M * M + p) + 1] = object[src + 1];
      }
    }
    assertLessOrEqual(maxRelative(got, want), 0);
    scan.destroy();
  });
});

Deno.test("ObjectWindows.overlapProduct adds sum_k conj(wave) chi under each window like float64", async () => {
  await withBench(M, async ({ gpu }) => {
    const shape: [number, number] = [70, 75];
    const [positions, modes, slices, slice] = [7, 2, 2, 1];
    const plane = shape[0] * shape[1];
    const scan = randomScan(gpu, positions, M, shape);
    const windows = await ObjectWindows.create(gpu, scan);
    const n = positions * modes * M * M;
    // The waves sit one slot in, as a later slice's stored waves do.
    const waveOffset = n;
    const chi = randomF32(2 * n);
    const waves = randomF32(2 * 2 * n);
    const start = randomF32(2 * slices * plane);
    const grad = gpu.upload(start, "gradient");
    const call = { batch: scan.batches[0], slice, modes, waveOffset };
    windows.overlapProduct(gpu.upload(chi, "chi"), gpu.upload(waves, "waves"), grad, call);
    const got = await gpu.readF32(grad);
    const want = Float64Array.from(start);
    for (let b = 0; b < positions; b++) {
      const w = windowOf(scan.positionsY[b], scan.positionsX[b], M);
      for (let p = 0; p < M * M; p++) {
        const dst = 2 * (slice * plane + (w.top + Math.floor(p / M)) * shape[1] + w.left + (p % M));
        for (let k = 0; k < modes; k++) {
          const j = 2 * ((b * modes + k) * M * M + p);
          const [a, c] = [waves[2 * waveOffset + j], waves[2 * waveOffset + j + 1]];
          want[dst] += a * chi[j] + c * chi[j + 1];
          want[dst + 1] += a * chi[j + 1] - c * chi[j];
        }
      }
    }
    assertLessOrEqual(maxRelative(got, want), 1e-6);
    scan.destroy();
  });
});

Deno.test("ObjectWindows.overlapAddWhen adds one shared patch under every window only when told to", async () => {
  await withBench(M, async ({ gpu }) => {
    const shape: [number, number] = [70, 75];
    const positions = 8;
    const scan = randomScan(gpu, positions, M, shape);
    const windows = await ObjectWindows.create(gpu, scan);
    const patch = randomF32(2 * M * M);
    const start = randomF32(2 * shape[0] * shape[1]);
    const call = { batch: scan.batches[0], slice: 0, modes: 1, waveOffset: 0 };
    for (const when of [0, 1]) {
      const grad = gpu.upload(start, "gradient");
      const flag = gpu.upload(Uint32Array.of(when, 1), "when");
      windows.overlapAddWhen(gpu.upload(patch, "patch"), grad, call, flag);
      const got = await gpu.readF32(grad);
      const want = Float64Array.from(start);
      for (let b = 0; when === 1 && b < positions; b++) {
        const w = windowOf(scan.positionsY[b], scan.positionsX[b], M);
        for (let p = 0; p < M * M; p++) {
          const dst = 2 * ((w.top + Math.floor(p / M)) * shape[1] + w.left + (p % M));
          want[dst] += patch[2 * p];
          want[dst + 1] += patch[2 * p + 1];
        }
      }
      assertLessOrEqual(maxRelative(got, want), 1e-6, `when = ${when}`);
    }
    scan.destroy();
  });
});

Deno.test("ObjectWindows.windowPower sums |O|^2 under the batch's windows like float64, overwriting or accumulating", async () => {
  await withBench(M, async ({ gpu }) => {
    const shape: [number, number] = [70, 75];
    const [positions, slices, slice] = [7, 2, 1];
    const plane = shape[0] * shape[1];
    const scan = randomScan(gpu, positions, M, shape);
    const windows = await ObjectWindows.create(gpu, scan);
    const object = randomF32(2 * slices * plane);
    const start = randomF32(2 * M * M);
    const call = { batch: scan.batches[0], slice, modes: 1, waveOffset: 0 };
    for (const accumulate of [false, true]) {
      const out = gpu.upload(accumulate ? start : nans(2 * M * M), "out");
      windows.windowPower(gpu.upload(object, "object"), out, call, accumulate);
      const got = await gpu.readF32(out);
      const want = new Float64Array(2 * M * M);
      for (let p = 0; p < M * M; p++) {
        want[2 * p] = accumulate ? start[2 * p] : 0;
        for (let b = 0; b < positions; b++) {
          const w = windowOf(scan.positionsY[b], scan.positionsX[b], M);
          const src = 2 *
            (slice * plane + (w.top + Math.floor(p / M)) * shape[1] + w.left + (p % M));
          want[2 * p] += object[src] ** 2 + object[src + 1] ** 2;
        }
      }
      assertLessOrEqual(maxRelative(got, want), 1e-6, `accumulate = ${accumulate}`);
    }
    scan.destroy();
  });
});
