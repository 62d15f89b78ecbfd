import { assert, assertEquals, assertLessOrEqual } from "../assert.ts";
import { orthogonalModes } from "../../src/engine/probe_modes.ts";
import { initialProbe } from "../../src/engine/probe.ts";
import { simulateDataset } from "../../src/simulate/mod.ts";
import { openEngineSession } from "../../src/engine/mod.ts";
import { Random } from "../../src/simulate/random.ts";

function gram(data: Float32Array, modes: number) {
  const n = data.length / (2 * modes);
  const out: { re: number; im: number }[][] = [];
  for (let i = 0; i < modes; i++) {
    out.push([]);
    for (let j = 0; j < modes; j++) {
      let re = 0, im = 0;
      for (let q = 0; q < n; q++) {
        const [a, b] = [data[2 * (i * n + q)], data[2 * (i * n + q) + 1]];
        const [c, d] = [data[2 * (j * n + q)], data[2 * (j * n + q) + 1]];
        re += a * c + b * d;
        im += a * d - b * c;
      }
      out[i].push({ re, im });
    }
  }
  return out;
}

function incoherentSum(data: Float32Array, modes: number): Float64Array {
  const n = data.length / (2 * modes);
  const out = new Float64Array(n);
  for (let k = 0; k < modes; k++) {
    for (let q = 0; q < n; q++) {
      out[q] += data[2 * (k * n + q)] ** 2 + data[2 * (k * n + q) + 1] ** 2;
    }
  }
  return out;
}

for (const modes of [1, 2, 3, 4]) {
  Deno.test(`orthogonalModes() makes ${modes} mixed modes orthogonal, sorted by power, same incoherent sum`, () => {
    const rng = new Random(40 + modes);
    const n = 16 * 16;
    const data = Float32Array.from({ length: 2 * modes * n }, () => rng.normal());
    // Mix in a complex multiple of mode 0, so the modes are far from orthogonal.
    for (let k = 1; k < modes; k++) {
      const [c, d] = [rng.normal() * 2, rng.normal() * 2];
      for (let q = 0; q < n; q++) {
        const [a, b] = [data[2 * q], data[2 * q + 1]];
        data[2 * (k * n + q)] += c * a - d * b;
        data[2 * (k * n + q) + 1] += c * b + d * a;
      }
    }
    const { probe, power } = orthogonalModes({ shape: [modes, 16, 16], data });
    assertEquals(probe.shape, [modes, 16, 16]);
    const g = gram(probe.data, modes);
    const diagonal = g.map((row, i) => row[i].re);
    for (let i = 0; i < modes; i++) {
      for (let j = 0; j < modes; j++) {
        if (i === j) continue;
        const off = Math.hypot(g[i][j].re, g[i][j].im);
        assertLessOrEqual(off, 1e-5 * diagonal[0], `<Q_${i}, Q_${j}> = ${off}`);
      }
    }
    for (let k = 1; k < modes; k++) assert(diagonal[k] <= diagonal[k - 1], `${diagonal}`);
    const total = diagonal.reduce((a, b) => a + b, 0);
    for (let k = 0; k < modes; k++) {
      assertLessOrEqual(Math.abs(power[k] - diagonal[k] / total), 1e-6, `power ${power}`);
    }
    assertLessOrEqual(Math.abs(power.reduce((a, b) => a + b, 0) - 1), 1e-12);
    const before = incoherentSum(data, modes), after = incoherentSum(probe.data, modes);
    for (let q = 0; q < n; q++) {
      assertLessOrEqual(Math.abs(after[q] - before[q]), 1e-4 * (1 + before[q]), `pixel ${q}`);
    }
  });
}

Deno.test("orthogonalModes() keeps modes that are already orthogonal, reordered by power", () => {
  const n = 4;
  // Mode 0 weak on pixel 0, mode 1 strong on pixel 1 (with a phase): they swap places.
  const data = new Float32Array(2 * 2 * n);
  data[0] = 1;
  data[2 * (n + 1)] = 0;
  data[2 * (n + 1) + 1] = 3;
  const { probe, power } = orthogonalModes({ shape: [2, 2, 2], data });
  assertLessOrEqual(Math.abs(power[0] - 0.9), 1e-12);
  assertLessOrEqual(Math.abs(power[1] - 0.1), 1e-12);
  assertLessOrEqual(Math.abs(Math.hypot(probe.data[2], probe.data[3]) - 3), 1e-6);
  assertLessOrEqual(Math.abs(Math.hypot(probe.data[2 * n], probe.data[2 * n + 1]) - 1), 1e-6);
});

Deno.test("on a partially coherent beam, three probe modes started from the file's one end with an R-factor below one mode's", async () => {
  const m = 32;
  const { dataset } = await simulateDataset({
    preset: "siemens",
    frame: m,
    positions: 60,
    probeModes: 3,
    seed: 5,
  });
  // The file holds the beam's central mode only, as a user's file would hold one probe.
  dataset.illumination = { shape: [1, m, m], data: dataset.illumination!.data.slice(0, 2 * m * m) };
  const [h, w] = dataset.objectShape;
  const object = new Float32Array(2 * h * w);
  for (let i = 0; i < object.length; i += 2) object[i] = 1;
  const rFactor = async (modes: number) => {
    const { probe } = await initialProbe(dataset, modes);
    const session = await openEngineSession({
      dataset,
      tiles: [1, 1],
      workers: 1,
      exchange: "sync",
      algorithm: "cg",
      slices: 1,
      modes,
      noise: "poisson",
      refineProbeFrom: 1,
      initial: { object, probe: probe.data },
    });
    try {
      for (let i = 0; i < 25; i++) await session.step();
      return session.rFactors[session.rFactors.length - 1];
    } finally {
      await session.destroy();
    }
  };
  const one = await rFactor(1);
  const three = await rFactor(3);
  assert(Number.isFinite(one) && Number.isFinite(three), `${one}, ${three}`);
  assertLessOrEqual(three, one, `R with three modes ${three}, with one ${one}`);
});
