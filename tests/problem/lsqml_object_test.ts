/**
 * LSQ-ML's block-restricted object direction and update (`wgsl/lsqml_object.wgsl`) against
 * float64 on random buffers: every pixel of a block the batch's windows reach is written (the
 * output is poisoned beforehand), every other pixel keeps its bits; and the bits of the
 * whole-object kernels it replaces (overlap-adds into zeroed buffers, divide, update).
 */
import {
  BLOCK,
  blockLists,
  buildGatherIndex,
  ObjectWindows,
  windowOrigin,
} from "../../src/operators/mod.ts";
import { LsqmlObjectUpdate, LsqmlStepSolve } from "../../src/problem/mod.ts";
import { assertEquals, assertLessOrEqual } from "../assert.ts";
import { maxRelative, randomF32 } from "../kernels/random.ts";
import { randomScan, withBench } from "../operators/setup.ts";

const FRAME = 16;
const SHAPE: [number, number] = [75, 93];
const MODES = 2;
const COUNT = 3;

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

/**
 * N / (D + floor) in float64 at every object pixel: N = sum_j sum_k conj(waves) chi and D the
 * sum of the weight's real part over the windows j covering it (0 / floor where none does).
 */
function directionReference(
  scan: ReturnType<typeof randomScan>,
  o: { chi: Float32Array; waves: Float32Array; weight: Float32Array; floor: number },
): Float64Array {
  const [h, w] = SHAPE;
  const m2 = FRAME * FRAME;
  const n = new Float64Array(2 * h * w);
  const d = new Float64Array(h * w);
  for (let j = 0; j < scan.count; j++) {
    const y0 = windowOrigin(scan.positionsY[j], FRAME);
    const x0 = windowOrigin(scan.positionsX[j], FRAME);
    for (let q = 0; q < m2; q++) {
      const p = (y0 + Math.floor(q / FRAME)) * w + x0 + (q % FRAME);
      d[p] += o.weight[2 * q];
      for (let k = 0; k < MODES; k++) {
        const i = 2 * ((j * MODES + k) * m2 + q);
        const [wr, wi, cr, ci] = [o.waves[i], o.waves[i + 1], o.chi[i], o.chi[i + 1]];
        n[2 * p] += wr * cr + wi * ci;
        n[2 * p + 1] += wr * ci - wi * cr;
      }
    }
  }
  for (let p = 0; p < h * w; p++) {
    n[2 * p] /= d[p] + o.floor;
    n[2 * p + 1] /= d[p] + o.floor;
  }
  return n;
}

/** A batch's random inputs: chi and the stored waves (count x K x M x M), a positive weight. */
function randomInputs() {
  const waves = COUNT * MODES * FRAME * FRAME;
  return {
    chi: randomF32(2 * waves),
    waves: randomF32(2 * waves),
    weight: randomF32(2 * FRAME * FRAME).map((v, i) => i % 2 === 0 ? 0.5 + Math.abs(v) : v),
    floor: 0.25,
  };
}

Deno.test("LsqmlObjectUpdate forms the direction and updates every pixel of the batch's reached blocks as float64 does, and no other", async () => {
  await withBench(FRAME, async ({ gpu }) => {
    const scan = randomScan(gpu, COUNT, FRAME, SHAPE);
    const inside = covered(scan);
    const n = SHAPE[0] * SHAPE[1];
    const reached = inside.filter((c) => c).length;
    // Some blocks reached and some not, so both sides are tested.
    assertEquals(reached > 0 && reached < n, true, `${reached} of ${n} pixels reached`);
    const inputs = randomInputs();
    const update = await LsqmlObjectUpdate.create(gpu, scan, MODES);
    const solve = await LsqmlStepSolve.create(gpu, 1);
    const poisoned = randomF32(2 * n);
    const direction = gpu.upload(poisoned, "dO");
    const object = randomF32(2 * n);
    const x = gpu.upload(object, "O");
    update.direction(scan.batches[0], {
      chi: gpu.upload(inputs.chi, "chi"),
      waves: gpu.upload(inputs.waves, "waves"),
      weight: gpu.upload(inputs.weight, "weight"),
      floor: gpu.upload(new Float32Array([inputs.floor, 0]), "floor"),
    }, direction);
    const formed = await gpu.readF32(direction);
    const reference = directionReference(scan, inputs);
    const want = new Float64Array(2 * n);
    for (let p = 0; p < n; p++) {
      const from = inside[p] ? reference : poisoned;
      [want[2 * p], want[2 * p + 1]] = [from[2 * p], from[2 * p + 1]];
      if (!inside[p]) assertEquals(at(formed, p), at(poisoned, p), `pixel ${p} of the direction`);
    }
    assertLessOrEqual(maxRelative(formed, want), 1e-5, "direction");
    const step = 0.375;
    gpu.write(solve.steps, new Float32Array([step, 0.625]));
    update.apply(scan.batches[0], direction, x, solve.steps);
    const o = await gpu.readF32(x);
    const wantObject = object.map((v, i) => inside[i >> 1] ? v - step * formed[i] : v);
    assertLessOrEqual(maxRelative(o, wantObject), 1e-6, "apply");
    for (let p = 0; p < n; p++) {
      if (!inside[p]) assertEquals(at(o, p), at(object, p), `pixel ${p} of the object`);
    }
    // A zero step leaves the object.
    gpu.write(solve.steps, new Float32Array([0, 0.625]));
    update.apply(scan.batches[0], direction, x, solve.steps);
    assertEquals(await gpu.readF32(x), o);
    solve.destroy();
  });
});

Deno.test("LsqmlObjectUpdate gives the bits of the overlap-adds into zeroed buffers, the whole-object divide and the update", async () => {
  await withBench(FRAME, async ({ gpu, ew }) => {
    const scan = randomScan(gpu, COUNT, FRAME, SHAPE);
    const inside = covered(scan);
    const n = SHAPE[0] * SHAPE[1];
    const batch = scan.batches[0];
    const windows = await ObjectWindows.create(gpu, scan);
    const inputs = randomInputs();
    const chi = gpu.upload(inputs.chi, "chi");
    const waves = gpu.upload(inputs.waves, "waves");
    const weight = gpu.upload(inputs.weight, "weight");
    const floor = gpu.upload(new Float32Array([inputs.floor, 0]), "floor");
    const object = randomF32(2 * n);
    const solve = await LsqmlStepSolve.create(gpu, 1);
    gpu.write(solve.steps, new Float32Array([0.625, 0]));
    // The whole-object passes a tile runs: numerator and weight overlap-added into zeros.
    const numerator = gpu.buffer(8 * n, "N");
    const sum = gpu.buffer(8 * n, "D");
    windows.overlapProduct(chi, waves, numerator, { batch, slice: 0, modes: MODES, waveOffset: 0 });
    windows.overlapAdd(weight, sum, { batch, slice: 0, modes: 1, waveOffset: 0 }, true);
    ew.divideBroadcast(sum, numerator, { count: n, length: n, c: floor });
    const whole = gpu.upload(object, "O whole");
    solve.apply(whole, numerator, n, "object");
    const update = await LsqmlObjectUpdate.create(gpu, scan, MODES);
    const direction = gpu.upload(randomF32(2 * n), "dO");
    update.direction(batch, { chi, waves, weight, floor }, direction);
    const blocks = gpu.upload(object, "O blocks");
    update.apply(batch, direction, blocks, solve.steps);
    const [formed, divided] = [await gpu.readF32(direction), await gpu.readF32(numerator)];
    for (let p = 0; p < n; p++) {
      if (inside[p]) assertEquals(at(formed, p), at(divided, p), `pixel ${p} of the direction`);
    }
    assertEquals(await gpu.readF32(blocks), await gpu.readF32(whole));
    solve.destroy();
  });
});
