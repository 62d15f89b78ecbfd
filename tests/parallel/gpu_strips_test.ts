import { requestGpu } from "../../src/gpu/mod.ts";
import { GpuGradients, HostGradients } from "../../src/parallel/mod.ts";
import type { Rect } from "../../src/tiling/mod.ts";
import { assertEquals } from "../assert.ts";
import { random } from "../tiling/scans.ts";

Deno.test("GpuGradients reads and writes exactly the strips HostGradients does", async () => {
  const gpu = await requestGpu({ label: "strips test" });
  try {
    const rand = random(21);
    const regions: Rect[] = [
      { y0: 3, x0: 5, height: 17, width: 23 },
      { y0: 0, x0: 0, height: 9, width: 11 },
    ];
    const planes = 3;
    const values = regions.map((r) =>
      Float32Array.from({ length: planes * r.height * r.width * 2 }, () => rand() - 0.5)
    );
    // Tile 0 sits at an offset inside a larger buffer, after NaN padding.
    const pad = 40;
    const padded = new Float32Array(pad + values[0].length).fill(NaN);
    padded.set(values[0], pad);
    const buffers = [gpu.upload(padded, "tile 0"), gpu.upload(values[1], "tile 1")];
    const device = new GpuGradients(
      gpu,
      regions,
      planes,
      new Map([[0, { buffer: buffers[0], offset: 4 * pad }], [1, { buffer: buffers[1] }]]),
    );
    const host = new HostGradients(regions, planes, new Map(values.map((v, t) => [t, v.slice()])));
    const rects: Array<[number, Rect]> = [
      [0, { y0: 7, x0: 10, height: 5, width: 9 }],
      [0, regions[0]],
      [1, { y0: 8, x0: 0, height: 1, width: 11 }],
    ];
    const live = gpu.memory.live;
    for (const [tile, rect] of rects) {
      assertEquals(await device.read(tile, rect), await host.read(tile, rect));
      const strip = Float32Array.from(
        { length: planes * rect.height * rect.width * 2 },
        () => rand() + 1,
      );
      await device.write(tile, rect, strip);
      await host.write(tile, rect, strip);
    }
    // The strips' buffers (packed uploads, mappable readbacks) are all released.
    assertEquals(gpu.memory.live, live);
    assertEquals((await gpu.readF32(buffers[0])).subarray(pad), host.arrays.get(0)!);
    assertEquals(await gpu.readF32(buffers[1]), host.arrays.get(1)!);
    assertEquals(
      Array.from((await gpu.readF32(buffers[0])).subarray(0, pad), Number.isNaN),
      Array(pad).fill(true),
    );
  } finally {
    gpu.destroy();
  }
});

Deno.test("GpuGradients.readMany gives the strips HostGradients does, whether it reads their box or each", async () => {
  const gpu = await requestGpu({ label: "strips test" });
  try {
    const rand = random(22);
    const region: Rect = { y0: 4, x0: 6, height: 29, width: 31 };
    const planes = 2;
    const values = Float32Array.from({ length: planes * 29 * 31 * 2 }, () => rand() - 0.5);
    const device = new GpuGradients(
      gpu,
      [region],
      planes,
      new Map([[0, { buffer: gpu.upload(values, "tile") }]]),
    );
    const host = new HostGradients([region], planes, new Map([[0, values]]));
    const cases: Array<[string, Rect[]]> = [
      // Overlapping bands, as a fine grid's tile sends: their box holds fewer pixels, read once.
      ["overlapping", [
        { y0: 4, x0: 6, height: 29, width: 12 },
        { y0: 4, x0: 6, height: 10, width: 31 },
        { y0: 4, x0: 6, height: 10, width: 12 },
        { y0: 20, x0: 6, height: 13, width: 31 },
      ]],
      // Far-apart pieces of different sizes: read strip by strip, in several chunks.
      ["apart", [
        { y0: 4, x0: 6, height: 2, width: 3 },
        { y0: 30, x0: 30, height: 3, width: 7 },
        { y0: 15, x0: 10, height: 1, width: 1 },
        { y0: 4, x0: 33, height: 5, width: 4 },
      ]],
      ["single", [{ y0: 9, x0: 11, height: 6, width: 8 }]],
    ];
    const live = gpu.memory.live;
    for (const [name, rects] of cases) {
      const want = await host.readMany(0, rects);
      const got = await device.readMany(0, rects);
      assertEquals(got.length, rects.length, name);
      got.forEach((strip, i) => assertEquals(strip, want[i], `${name}, rectangle ${i}`));
    }
    assertEquals(await device.readMany(0, []), []);
    assertEquals(gpu.memory.live, live);
  } finally {
    gpu.destroy();
  }
});
