import type { Dataset } from "../../src/data/dataset.ts";
import { type Product, productOf, readProduct, writeProduct } from "../../src/io/product.ts";
import { readCxi } from "../../src/io/cxi_reader.ts";
import { assertEquals, assertLessOrEqual } from "../assert.ts";
import { random, writeFixture } from "./_cxi_fixture.ts";

function randomProduct(seed: number, slices: number): Product {
  const rand = random(seed);
  const complex = (shape: number[]) => ({
    shape,
    data: Float32Array.from({ length: 2 * shape.reduce((a, b) => a * b) }, () => rand() - 0.5),
  });
  const N = 7;
  return {
    name: "siemens star",
    comments: "tessera cg, 20 iterations",
    probeEnergyEV: 8000 + rand(),
    detectorDistance: 2 + rand(),
    probe: complex([2, 8, 8]),
    probePixel: [1e-8 * (1 + rand()), 1e-8 * (1 + rand())],
    object: complex([slices, 20, 24]),
    objectPixel: [1e-8 * (1 + rand()), 1e-8 * (1 + rand())],
    objectCenter: [rand() * 1e-6, -rand() * 1e-6],
    layerDistances: Float64Array.from({ length: slices - 1 }, () => rand() * 1e-9),
    positionIndexes: Float64Array.from({ length: N }, (_, j) => j),
    positionX: Float64Array.from({ length: N }, () => rand() * 1e-6),
    positionY: Float64Array.from({ length: N }, () => rand() * 1e-6),
    lossValues: Float64Array.from({ length: 12 }, () => rand() * 1e6),
  };
}

for (const slices of [1, 3]) {
  Deno.test(`writeProduct() then readProduct() is bit-identical with ${slices} slice(s)`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "tessera-io-" });
    try {
      const product = randomProduct(slices, slices);
      await writeProduct(`${dir}/product.h5`, product);
      assertEquals([...Deno.readDirSync(dir)].map((e) => e.name), ["product.h5"]);
      assertEquals(await readProduct(`${dir}/product.h5`), product);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("productOf() puts the object centre where the scan positions map back to pixels", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tessera-io-" });
  try {
    await writeFixture(`${dir}/scan.cxi`, { count: 9, frame: 16 });
    const dataset: Dataset = await readCxi(`${dir}/scan.cxi`);
    dataset.frames.close();
    const [H, W] = dataset.objectShape;
    const object = { shape: [1, H, W], data: new Float32Array(2 * H * W).fill(1) };
    const probe = { shape: [1, 16, 16], data: new Float32Array(2 * 256).fill(1) };
    const p = productOf(dataset, { name: "t", object, probe, lossValues: [3, 2, 1] });
    const dx = dataset.geometry.objectPixel;
    for (let j = 0; j < dataset.count; j++) {
      // ptychodus maps a position to the pixel W/2 + (x - centre_x) / pixel_width.
      const column = W / 2 + (p.positionX[j] - p.objectCenter[0]) / p.objectPixel[0];
      const row = H / 2 + (p.positionY[j] - p.objectCenter[1]) / p.objectPixel[1];
      assertLessOrEqual(Math.abs(column - dataset.positionsX[j]), 1e-9);
      assertLessOrEqual(Math.abs(row - dataset.positionsY[j]), 1e-9);
    }
    assertEquals(p.objectPixel, [dx, dx]);
    assertEquals(p.lossValues, new Float64Array([3, 2, 1]));
    assertEquals(p.layerDistances.length, 0);
    assertEquals(p.probeEnergyEV, dataset.geometry.energyJ / 1.602176634e-19);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
