import { type Dataset, MemoryFrames } from "../../src/data/dataset.ts";
import { writeCxi } from "../../src/io/cxi_writer.ts";
import { readCxi } from "../../src/io/cxi_reader.ts";
import { electronVolts, electronWavelength } from "../../src/physics/geometry.ts";
import { assertEquals } from "../assert.ts";
import { random } from "./_cxi_fixture.ts";

/** A small simulated-looking data set: electron multislice ground truth, two probe modes. */
function simulated(seed: number): Dataset {
  const rand = random(seed);
  const N = 5, M = 8, S = 3, H = 24, W = 28;
  const energyJ = electronVolts(200e3);
  const lambda = electronWavelength(energyJ);
  const dx = 0.4e-10;
  const positionsX = Float64Array.from({ length: N }, () => 4 + 15 * rand());
  const positionsY = Float64Array.from({ length: N }, () => 4 + 11 * rand());
  const translations = new Float64Array(2 * N);
  for (let j = 0; j < N; j++) {
    translations[2 * j] = (positionsX[j] - 4) * dx;
    translations[2 * j + 1] = (positionsY[j] - 4) * dx;
  }
  const complex = (n: number) => Float32Array.from({ length: 2 * n }, () => rand() - 0.5);
  return {
    source: "simulated:test",
    frame: M,
    count: N,
    geometry: {
      probeKind: "electron",
      energyJ,
      wavelength: lambda,
      distance: 0.5,
      detectorPixel: [50e-6, 50e-6],
      objectPixel: dx,
    },
    positionsX,
    positionsY,
    objectShape: [H, W],
    translations,
    mask: Uint8Array.from({ length: M * M }, (_, i) => (i === 9 ? 1 : 0)),
    illumination: { shape: [2, M, M], data: complex(2 * M * M) },
    groundTruth: { shape: [S, H, W], data: complex(S * H * W) },
    sliceThickness: 2e-10,
    frames: new MemoryFrames(Float32Array.from({ length: N * M * M }, () => 100 * rand()), M),
  };
}

Deno.test("writeCxi() then readCxi() gives back the data set bit for bit", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tessera-io-" });
  try {
    const original = simulated(3);
    const path = `${dir}/sim.cxi`;
    await writeCxi(path, original, { batch: 2, gzip: 1 });
    assertEquals([...Deno.readDirSync(dir)].map((e) => e.name), ["sim.cxi"]);
    const back = await readCxi(path);
    try {
      const all = [0, 1, 2, 3, 4];
      assertEquals(await back.frames.read(all), await original.frames.read(all));
      for (const key of ["geometry", "positionsX", "positionsY", "objectShape"] as const) {
        assertEquals(back[key], original[key], key);
      }
      for (const key of ["translations", "mask", "illumination", "groundTruth"] as const) {
        assertEquals(back[key], original[key], key);
      }
      assertEquals(back.sliceThickness, original.sliceThickness);
      assertEquals([back.count, back.frame, back.clippedNegatives], [5, 8, 0]);
    } finally {
      back.frames.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeCxi() leaves nothing behind when the frame source fails midway", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tessera-io-" });
  try {
    const broken = simulated(4);
    broken.frames = {
      read: (indices) =>
        indices[0] >= 2 ? Promise.reject(new Error("disk gone")) : Promise.resolve(
          new Float32Array(indices.length * 64).fill(1),
        ),
      close: () => {},
    };
    let failed = false;
    await writeCxi(`${dir}/sim.cxi`, broken, { batch: 2 }).catch(() => failed = true);
    assertEquals(failed, true);
    assertEquals([...Deno.readDirSync(dir)], []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readCxi() without the ground-truth object still puts positions on its grid", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tessera-io-" });
  try {
    const original = simulated(6);
    await writeCxi(`${dir}/sim.cxi`, original);
    const back = await readCxi(`${dir}/sim.cxi`, { groundTruth: false, scan: false });
    back.frames.close();
    assertEquals(back.groundTruth, null);
    assertEquals([back.positionsX, back.positionsY], [original.positionsX, original.positionsY]);
    assertEquals(back.objectShape, original.objectShape);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
