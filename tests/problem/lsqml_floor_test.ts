/**
 * LSQ-ML's per-batch floors (`wgsl/lsqml_floor.wgsl`) against float64 on random probes and
 * weights, outputs poisoned beforehand.
 */
import { LsqmlFloors } from "../../src/problem/mod.ts";
import { assertEquals, assertLessOrEqual } from "../assert.ts";
import { maxRelative, nans, randomF32 } from "../kernels/random.ts";
import { withBench } from "../operators/setup.ts";

const M = 16;
const MODES = 3;

Deno.test("LsqmlFloors forms the windows' weight with its ridge and both floors as float64 does", async () => {
  await withBench(M, async ({ gpu }) => {
    const m2 = M * M;
    const scale = 0.01;
    const ridge = 2.5;
    const floors = await LsqmlFloors.create(gpu, { m2, modes: MODES, scale });
    const probe = randomF32(2 * MODES * m2);
    const power = new Float64Array(m2);
    for (let i = 0; i < MODES * m2; i++) power[i % m2] += probe[2 * i] ** 2 + probe[2 * i + 1] ** 2;
    const intensity = gpu.upload(nans(2 * m2), "intensity");
    const floor = gpu.upload(nans(2), "floor");
    floors.object(gpu.upload(probe, "probe"), intensity, floor, ridge);
    const want = new Float64Array(2 * m2);
    power.forEach((v, p) => want[2 * p] = v + ridge);
    assertLessOrEqual(maxRelative(await gpu.readF32(intensity), want), 1e-6, "intensity");
    const [f, zero] = await gpu.readF32(floor);
    assertLessOrEqual(Math.abs(f - scale * Math.max(...power)) / f, 1e-6, "object floor");
    assertEquals(zero, 0);
    // The probe's floor from a weight whose peak is the largest real part.
    const weight = randomF32(2 * m2, 5);
    gpu.write(floor, nans(2));
    floors.probe(gpu.upload(weight, "weight"), floor);
    const peak = Math.max(...weight.filter((_, i) => i % 2 === 0));
    const [g, none] = await gpu.readF32(floor);
    assertEquals([g, none], [Math.fround(Math.fround(scale) * peak), 0]);
  });
});
