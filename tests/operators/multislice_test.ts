import { assertEquals } from "../assert.ts";
import { Multislice, Scan } from "../../src/operators/mod.ts";
import { blockLists, buildGatherIndex, windowsBoundingBox } from "../../src/operators/mod.ts";
import { referenceKernels } from "../../src/tiling/reference.ts";
import { nans, randomF32 } from "../kernels/random.ts";
import { checkAdjoint } from "./adjoint.ts";
import { randomPositions, withBench } from "./setup.ts";

const M = 32;
const SHAPE: [number, number] = [72, 80];
const propagation = { wavelength: 2e-12, sliceThickness: 2e-9, pixelSize: 2e-11 };

async function adjointCases(slices: number, modes: number) {
  await withBench(M, async ({ gpu, fft, ew }) => {
    const positions = 6;
    const scan = Scan.create(gpu, {
      ...randomPositions(positions, M, SHAPE),
      frame: M,
      objectShape: SHAPE,
      batchSize: positions,
    });
    const ms = await Multislice.create({ gpu, fft, ew, scan, slices, modes, propagation });
    const batch = scan.batches[0];
    const plane = SHAPE[0] * SHAPE[1];
    const range = positions * modes * M * M;
    const object = gpu.upload(randomF32(2 * slices * plane), "object");
    const probe = gpu.upload(randomF32(2 * modes * M * M), "probe");
    ms.setProbe(probe);
    const full = gpu.buffer(8 * slices * plane, "gradient of all slices");
    // The exit waves are linear in each slice when the others are fixed: test slice by slice.
    for (let s = 0; s < slices; s++) {
      await checkAdjoint(gpu, {
        label: `multislice S=${slices} K=${modes}, object slice ${s}`,
        domain: plane,
        range,
        forward: (x, out) => {
          gpu.copy(x, 0, object, 8 * s * plane, 8 * plane);
          ms.forward(object, out, batch, false);
        },
        adjoint: (y, out) => {
          gpu.write(full, nans(2 * slices * plane));
          ms.adjoint(object, y, { object: full }, batch);
          gpu.copy(full, 8 * s * plane, out, 0, 8 * plane);
        },
      });
    }
    await checkAdjoint(gpu, {
      label: `multislice S=${slices} K=${modes}, probe`,
      domain: modes * M * M,
      range,
      forward: (x, out) => {
        ms.setProbe(x);
        ms.forward(object, out, batch, false);
      },
      adjoint: (y, out) => ms.adjoint(object, y, { probe: out }, batch),
    });
    ms.destroy();
    scan.destroy();
  });
}

Deno.test("Multislice S=1 K=1 passes the adjoint tests for the object and the probe", async () => {
  await adjointCases(1, 1);
});

Deno.test("Multislice S=3 K=2 passes the adjoint tests for every object slice and the probe", async () => {
  await adjointCases(3, 2);
});

Deno.test("buildGatherIndex() equals the tiling's reference gather index", () => {
  const { positionsY, positionsX } = randomPositions(7, 16, [50, 60]);
  const region = windowsBoundingBox(positionsY, positionsX, 16);
  const options = { positionsY, positionsX, frame: 16, region };
  const ours = buildGatherIndex(options);
  const theirs = referenceKernels.gather(options);
  assertEquals(Array.from(ours.rowStart), Array.from(theirs.rowStart));
  assertEquals(Array.from(ours.window), Array.from(theirs.window));
  assertEquals(Array.from(ours.offset), Array.from(theirs.offset));
});

Deno.test("blockLists() lists, per 16 x 16 block, the windows touching it in ascending order", () => {
  const frame = 16;
  const { positionsY, positionsX } = randomPositions(9, frame, [70, 61]);
  const region = windowsBoundingBox(positionsY, positionsX, frame);
  const lists = blockLists(buildGatherIndex({ positionsY, positionsX, frame, region }));
  assertEquals(lists.blocksY, Math.ceil(region.height / 16));
  assertEquals(lists.blocksX, Math.ceil(region.width / 16));
  for (let b = 0; b < lists.blocksY * lists.blocksX; b++) {
    const y0 = region.y0 + Math.floor(b / lists.blocksX) * 16;
    const x0 = region.x0 + (b % lists.blocksX) * 16;
    const y1 = Math.min(y0 + 16, region.y0 + region.height);
    const x1 = Math.min(x0 + 16, region.x0 + region.width);
    const want: number[] = [];
    for (let j = 0; j < positionsY.length; j++) {
      const top = Math.floor(positionsY[j]) - frame / 2;
      const left = Math.floor(positionsX[j]) - frame / 2;
      if (top < y1 && top + frame > y0 && left < x1 && left + frame > x0) want.push(j);
    }
    assertEquals(Array.from(lists.windows.subarray(lists.start[b], lists.start[b + 1])), want);
  }
});
