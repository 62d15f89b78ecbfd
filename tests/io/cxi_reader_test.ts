import { openCxi, readCxi } from "../../src/io/cxi_reader.ts";
import { consecutiveRanges } from "../../src/io/cxi_frames.ts";
import { electronWavelength, photonWavelength } from "../../src/physics/geometry.ts";
import { assert, assertEquals, assertLessOrEqual } from "../assert.ts";
import { fixtureTranslations, random, scalar, writeFixture } from "./_cxi_fixture.ts";

const P25 = new URL("../data/PETRAIII_P25_Near_Field_Ptycho.cxi", import.meta.url).pathname;

async function inTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "tessera-io-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("consecutiveRanges() groups sorted distinct indices into half-open runs", () => {
  assertEquals(consecutiveRanges([7, 3, 4, 5, 9, 4, 8]), [[3, 6], [7, 10]]);
  assertEquals(consecutiveRanges([]), []);
});

for (const layout of ["contiguous", "chunked gzip"]) {
  Deno.test(`readCxi() reads h5py-style ${layout} float32 frames in any order`, async () => {
    await inTempDir(async (dir) => {
      const path = `${dir}/scan.cxi`;
      const N = 9, M = 16;
      const frames = await writeFixture(path, {
        count: N,
        frame: M,
        chunked: layout !== "contiguous",
        gzip: layout === "contiguous" ? 0 : 4,
      });
      const dataset = await readCxi(path);
      try {
        assertEquals([dataset.count, dataset.frame], [N, M]);
        const picked = [7, 2, 3, 4, 2, 8];
        const got = await dataset.frames.read(picked);
        const size = M * M;
        picked.forEach((j, i) => {
          const expected = frames.subarray(j * size, (j + 1) * size);
          assertEquals(got.subarray(i * size, (i + 1) * size), expected, `frame ${j}`);
        });
      } finally {
        dataset.frames.close();
      }
    });
  });
}

Deno.test("readCxi() derives geometry and places every probe window inside the object", async () => {
  await inTempDir(async (dir) => {
    const path = `${dir}/scan.cxi`;
    const N = 9, M = 16;
    await writeFixture(path, { count: N, frame: M });
    const d = await readCxi(path);
    d.frames.close();
    const lambda = photonWavelength(8e3 * 1.602176634e-19);
    assertEquals(d.geometry.probeKind, "x-ray");
    assertLessOrEqual(Math.abs(d.geometry.wavelength / lambda - 1), 1e-12);
    const dx = lambda * 2 / (M * 75e-6);
    assertLessOrEqual(Math.abs(d.geometry.objectPixel / dx - 1), 1e-12);
    const t = fixtureTranslations(N);
    for (let j = 0; j < N; j++) {
      // Relative positions are translation / dx: the offset is one constant for the scan.
      const ex = t[3 * j] / dx - t[0] / dx, ey = t[3 * j + 1] / dx - t[1] / dx;
      assertLessOrEqual(Math.abs(d.positionsX[j] - d.positionsX[0] - ex), 1e-9);
      assertLessOrEqual(Math.abs(d.positionsY[j] - d.positionsY[0] - ey), 1e-9);
      const [H, W] = d.objectShape;
      assert(d.positionsX[j] - M / 2 >= 1 && d.positionsY[j] - M / 2 >= 1, `window ${j} start`);
      assert(d.positionsX[j] + M / 2 + 1 <= W && d.positionsY[j] + M / 2 + 1 <= H, `window ${j}`);
    }
    assertEquals(d.translations[2 * 4], t[3 * 4]);
    assertEquals(d.clippedNegatives, 0);
  });
});

Deno.test("readCxi() follows soft links and the alternative frame and translation paths", async () => {
  await inTempDir(async (dir) => {
    const path = `${dir}/scan.cxi`;
    const t = fixtureTranslations(6);
    const frames = await writeFixture(path, {
      framesPath: "/entry_1/instrument_1/detector_1/data",
      parts: {
        "/entry_1/sample_1/geometry_1/translation": null,
        "/entry_1/instrument_1/detector_1/translation": { data: t, shape: [6, 3], dtype: "<f" },
      },
      links: { "/entry_1/data_1/translation": "/entry_1/instrument_1/detector_1/translation" },
    });
    const { dataset, paths } = await openCxi(path);
    try {
      assertEquals(paths, {
        frames: "/entry_1/instrument_1/detector_1/data",
        translation: "/entry_1/data_1/translation",
      });
      assertEquals(await dataset.frames.read([5]), frames.subarray(5 * 256));
      assertEquals(dataset.translations[2], Math.fround(t[3]));
    } finally {
      dataset.frames.close();
    }
  });
});

Deno.test("readCxi() reads int32 frames, an electron source, a mask and a complex64 probe", async () => {
  await inTempDir(async (dir) => {
    const path = `${dir}/scan.cxi`;
    const M = 8, rand = random(5);
    const ints = Int32Array.from({ length: 4 * M * M }, () => Math.floor(rand() * 50) - 2);
    const mask = Uint8Array.from({ length: M * M }, (_, i) => (i % 17 === 0 ? 1 : 0));
    const probe = Float32Array.from({ length: 2 * 2 * M * M }, () => rand() - 0.5);
    await writeFixture(path, {
      count: 4,
      frame: M,
      parts: {
        "/entry_1/data_1/data": { data: ints, shape: [4, M, M], dtype: "<i" },
        "/entry_1/instrument_1/source_1/probe": { text: "electron" },
        "/entry_1/instrument_1/source_1/energy": scalar(300e3 * 1.602176634e-19),
        "/entry_1/instrument_1/detector_1/mask": { data: mask, shape: [M, M], dtype: "<B" },
        "/entry_1/instrument_1/source_1/illumination": { complex: probe, shape: [2, M, M] },
      },
    });
    const d = await readCxi(path);
    try {
      assertEquals(d.geometry.probeKind, "electron");
      assertEquals(d.geometry.wavelength, electronWavelength(300e3 * 1.602176634e-19));
      assertEquals(d.mask, mask);
      assertEquals(d.illumination, { shape: [2, M, M], data: probe });
      const negatives = ints.filter((v) => v < 0).length;
      assert(negatives > 0, "the fixture has negative counts");
      assertEquals(d.clippedNegatives, negatives);
      const got = await d.frames.read([0, 1, 2, 3]);
      assertEquals(got, Float32Array.from(ints, (v) => Math.max(v, 0)));
    } finally {
      d.frames.close();
    }
  });
});

Deno.test("readCxi() reads the PETRA III P25 file: gzip int32, mask, no illumination", async () => {
  const { dataset: d, statistics, storage } = await openCxi(P25);
  try {
    assertEquals([d.count, d.frame], [200, 100]);
    assertEquals(storage, { dtype: "int32", chunks: [25, 13, 25], filters: ["deflate"] });
    assertEquals(d.mask!.reduce((a, b) => a + b, 0), 5);
    assertEquals(d.illumination, null);
    assertEquals(d.geometry.probeKind, "x-ray");
    // The file's own wavelength entry (float32) agrees with h c / E.
    assertLessOrEqual(Math.abs(d.geometry.wavelength / 9.794912103622266e-11 - 1), 1e-6);
    assertLessOrEqual(Math.abs(d.geometry.distance - 1.12), 1e-7);
    assertEquals(statistics!.frames, 200);
    assertEquals(statistics!.negatives, 0);
    const frames = await d.frames.read([199, 0]);
    assertEquals(frames.length, 2 * 100 * 100);
    assert(frames.some((v) => v > 0), "frames hold counts");
    const [H, W] = d.objectShape;
    for (let j = 0; j < d.count; j++) {
      assert(d.positionsX[j] >= 50 && d.positionsX[j] + 51 <= W, `x of ${j}`);
      assert(d.positionsY[j] >= 50 && d.positionsY[j] + 51 <= H, `y of ${j}`);
    }
  } finally {
    d.frames.close();
  }
});

Deno.test("readCxi() works under per-variable --allow-env, as the inspect task runs", async () => {
  const script = new URL("./_read_with_few_permissions.ts", import.meta.url).pathname;
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-env=HOME", script, P25],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const errors = new TextDecoder().decode(stderr);
  assertEquals(code, 0, errors);
  const d = await readCxi(P25, { scan: false });
  const first = (await d.frames.read([0]))[0];
  d.frames.close();
  assertEquals(JSON.parse(new TextDecoder().decode(stdout)), { count: 200, first });
});
