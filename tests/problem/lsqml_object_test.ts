/**
 * LSQ-ML's block-restricted object divide and update (`wgsl/lsqml_object.wgsl`) against float64
 * on random buffers: every pixel of a block the batch's windows reach is rewritten (its inputs
 * are random, never the result), every other pixel keeps its bits; and on a sweep's buffers (zero
 * outside the windows) the bits of the whole-object kernels it replaces.
 */
import { BLOCK, blockLists, buildGatherIndex } from "../../src/operators/mod.ts";
import { LsqmlObjectUpdate, LsqmlStepSolve } from "../../src/problem/mod.ts";
import { assertEquals, assertLessOrEqual } from "../assert.ts";
import { maxRelative, randomF32 } from "../kernels/random.ts";
import { randomScan, withBench } from "../operators/setup.ts";

const FRAME = 16;
const SHAPE: [number, number] = [75, 93];

/** Whether each object pixel lies in a block of the batch's region that a window reaches. */
function covered(scan: ReturnType<typeof randomScan>): boolean[] {
  const batch = scan.batches[0];
  const { region } = batch;
  const lists = blockLists(buildGatherIndex({
    positionsY: scan.positionsY,
    positionsX: scan.positionsX,
    frame: FRAME,
    region,
  }));
  const out = new Array<boolean>(SHAPE[0] * SHAPE[1]).fill(false);
  for (let y = 0; y < region.height; y++) {
    for (let x = 0; x < region.width; x++) {
      const b = Math.floor(y / BLOCK) * lists.blocksX + Math.floor(x / BLOCK);
      if (lists.start[b] !== lists.start[b + 1]) {
        out[(region.y0 + y) * SHAPE[1] + region.x0 + x] = true;
      }
    }
  }
  return out;
}

/** Complex pixel p of an interleaved array. */
const at = (a: Float32Array, p: number) => [a[2 * p], a[2 * p + 1]];

Deno.test("LsqmlObjectUpdate divides and updates every pixel of the batch's reached blocks as float64 does, and no other", async () => {
  await withBench(FRAME, async ({ gpu }) => {
    const scan = randomScan(gpu, 3, FRAME, SHAPE);
    const inside = covered(scan);
    const n = SHAPE[0] * SHAPE[1];
    const reached = inside.filter((c) => c).length;
    // Some blocks reached and some not, so both sides are tested.
    assertEquals(reached > 0 && reached < n, true, `${reached} of ${n} pixels reached`);
    const numerator = randomF32(2 * n);
    const weight = randomF32(2 * n).map((v, i) => i % 2 === 0 ? 0.5 + Math.abs(v) : v);
    const object = randomF32(2 * n);
    const floor = 0.25;
    const update = await LsqmlObjectUpdate.create(gpu, SHAPE[1]);
    const solve = await LsqmlStepSolve.create(gpu, 1);
    const d = { numerator: gpu.upload(numerator, "N"), weight: gpu.upload(weight, "D") };
    const x = gpu.upload(object, "O");
    update.divide(scan.batches[0], d, gpu.upload(new Float32Array([floor, 0]), "floor"));
    const divided = await gpu.readF32(d.numerator);
    const want = new Float64Array(2 * n);
    for (let p = 0; p < n; p++) {
      const scale = inside[p] ? 1 / (weight[2 * p] + floor) : 1;
      want[2 * p] = numerator[2 * p] * scale;
      want[2 * p + 1] = numerator[2 * p + 1] * scale;
      if (!inside[p]) assertEquals(at(divided, p), at(numerator, p), `pixel ${p} divided`);
    }
    assertLessOrEqual(maxRelative(divided, want), 1e-6, "divide");
    const step = 0.375;
    gpu.write(solve.steps, new Float32Array([step, 0.625]));
    update.apply(scan.batches[0], d, x, solve.steps);
    const [o, nu, w] = [
      await gpu.readF32(x),
      await gpu.readF32(d.numerator),
      await gpu.readF32(d.weight),
    ];
    const wantObject = object.map((v, i) => inside[i >> 1] ? v - step * divided[i] : v);
    assertLessOrEqual(maxRelative(o, wantObject), 1e-6, "apply");
    for (let p = 0; p < n; p++) {
      if (inside[p]) {
        assertEquals([...at(nu, p), ...at(w, p)], [0, 0, 0, 0], `pixel ${p} cleared`);
      } else {
        assertEquals(at(o, p), at(object, p), `pixel ${p} of the object`);
        assertEquals(at(nu, p), at(numerator, p), `pixel ${p} of the numerator`);
        assertEquals(at(w, p), at(weight, p), `pixel ${p} of the weight`);
      }
    }
    // A zero step leaves the object, and still clears the direction.
    gpu.write(d.numerator, randomF32(2 * n));
    gpu.write(d.weight, randomF32(2 * n));
    gpu.write(solve.steps, new Float32Array([0, 0.625]));
    update.apply(scan.batches[0], d, x, solve.steps);
    assertEquals(await gpu.readF32(x), o);
    const cleared = await gpu.readF32(d.numerator);
    for (let p = 0; p < n; p++) if (inside[p]) assertEquals(at(cleared, p), [0, 0]);
    solve.destroy();
  });
});

Deno.test("LsqmlObjectUpdate gives the whole-object divide and update's bits on a sweep's direction, zero outside the windows", async () => {
  await withBench(FRAME, async ({ gpu, ew }) => {
    const scan = randomScan(gpu, 4, FRAME, SHAPE);
    const n = SHAPE[0] * SHAPE[1];
    // Overlap-adds of random patches: the numerator and weight a batch leaves.
    const batch = scan.batches[0];
    const { ObjectWindows } = await import("../../src/operators/mod.ts");
    const windows = await ObjectWindows.create(gpu, scan);
    const call = { batch, slice: 0, modes: 1, waveOffset: 0 };
    const patches = randomF32(2 * 4 * FRAME * FRAME);
    const power = patches.map((v, i) => i % 2 === 0 ? Math.abs(v) : 0);
    const floor = gpu.upload(new Float32Array([0.125, 0]), "floor");
    const object = randomF32(2 * n);
    const solve = await LsqmlStepSolve.create(gpu, 1);
    gpu.write(solve.steps, new Float32Array([0.625, 0]));
    const results = [];
    for (const blocks of [true, false]) {
      const d = { numerator: gpu.buffer(8 * n, "N"), weight: gpu.buffer(8 * n, "D") };
      windows.overlapAdd(gpu.upload(patches, "patches"), d.numerator, call);
      windows.overlapAdd(gpu.upload(power, "power"), d.weight, call);
      const x = gpu.upload(object, "O");
      if (blocks) {
        const update = await LsqmlObjectUpdate.create(gpu, SHAPE[1]);
        update.divide(batch, d, floor);
        update.apply(batch, d, x, solve.steps);
      } else {
        ew.divideBroadcast(d.weight, d.numerator, { count: n, length: n, c: floor });
        solve.apply(x, d.numerator, n, "object");
      }
      results.push(await gpu.readF32(x));
    }
    assertEquals(results[0], results[1]);
    solve.destroy();
  });
});
