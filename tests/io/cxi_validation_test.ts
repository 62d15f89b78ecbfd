import { InputError } from "../../src/data/errors.ts";
import { CxiFrames } from "../../src/io/cxi_frames.ts";
import { openCxi, readCxi } from "../../src/io/cxi_reader.ts";
import { assert, assertEquals, assertRejects } from "../assert.ts";
import {
  fixtureFrames,
  fixtureTranslations,
  type Part,
  scalar,
  writeFixture,
} from "./_cxi_fixture.ts";

const P25 = new URL("../data/PETRAIII_P25_Near_Field_Ptycho.cxi", import.meta.url).pathname;

/** Expects readCxi to refuse the file with an InputError whose message holds every `parts`. */
async function refuses(path: string, ...parts: string[]): Promise<InputError> {
  const error = await assertRejects(() => readCxi(path), InputError);
  assert(error.message.includes(path), `names the file: ${error.message}`);
  for (const part of parts) {
    assert(error.message.includes(part), `mentions "${part}": ${error.message}`);
  }
  return error;
}

async function withFixture(
  parts: Record<string, Part | null>,
  fn: (path: string) => Promise<unknown>,
  extra: { count?: number; frame?: number } = {},
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "tessera-io-" });
  try {
    const path = `${dir}/scan.cxi`;
    await writeFixture(path, { parts, ...extra });
    await fn(path);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const DETECTOR = "/entry_1/instrument_1/detector_1";

Deno.test("readCxi() refuses a file that is not HDF5, and a missing file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tessera-io-" });
  try {
    await Deno.writeTextFile(`${dir}/notes.cxi`, "frame,x,y\n0,1,2\n");
    await refuses(`${dir}/notes.cxi`, "not an HDF5 file");
    await refuses(`${dir}/absent.cxi`, "does not exist");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readCxi() refuses a truncated file and says how much is missing", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tessera-io-" });
  try {
    const bytes = await Deno.readFile(P25);
    const cut = bytes.length - 4096;
    await Deno.writeFile(`${dir}/cut.cxi`, bytes.subarray(0, cut));
    await refuses(`${dir}/cut.cxi`, "truncated", String(cut), String(bytes.length));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readCxi() names both frame paths when the frames are missing", async () => {
  await withFixture(
    { "/entry_1/data_1/data": null },
    (path) =>
      refuses(path, "/entry_1/data_1/data or /entry_1/instrument_1/detector_1/data", "N x M x M"),
  );
});

Deno.test("readCxi() refuses frames that are not N x M x M or not square", async () => {
  const flat = { data: fixtureFrames(6, 16), shape: [6, 256], dtype: "<f" };
  await withFixture(
    { "/entry_1/data_1/data": flat },
    (path) => refuses(path, "/entry_1/data_1/data", "[6,256]", "N x M x M"),
  );
  const oblong = { data: fixtureFrames(6, 16), shape: [6, 32, 8], dtype: "<f" };
  await withFixture(
    { "/entry_1/data_1/data": oblong },
    (path) => refuses(path, "[6,32,8]", "square"),
  );
});

Deno.test("readCxi() refuses a translation count that differs from the frame count", async () => {
  const five = { data: fixtureTranslations(5), shape: [5, 3], dtype: "<d" };
  await withFixture(
    { "/entry_1/sample_1/geometry_1/translation": five },
    (path) =>
      refuses(path, "/entry_1/sample_1/geometry_1/translation", "5 translations", "6 frames"),
  );
  await withFixture(
    { "/entry_1/sample_1/geometry_1/translation": null },
    (path) => refuses(path, "/entry_1/data_1/translation", "missing"),
  );
});

Deno.test("readCxi() names the frame and pixel of a NaN or infinite count", async () => {
  for (const bad of [NaN, Infinity]) {
    const frames = fixtureFrames(6, 16);
    frames[4 * 256 + 3 * 16 + 5] = bad;
    const part = { data: frames, shape: [6, 16, 16], dtype: "<f" };
    await withFixture(
      { "/entry_1/data_1/data": part },
      (path) => refuses(path, "frame 4", String(bad), "(y 3, x 5)", "/entry_1/data_1/data"),
    );
  }
});

Deno.test("without the scan of every frame (an MPI rank), reading a frame with a NaN names it", async () => {
  const frames = fixtureFrames(6, 16);
  frames[4 * 256 + 3 * 16 + 5] = NaN;
  const part = { data: frames, shape: [6, 16, 16], dtype: "<f" };
  await withFixture({ "/entry_1/data_1/data": part }, async (path) => {
    const d = await readCxi(path, { scan: false });
    try {
      assertEquals((await d.frames.read([0, 5, 3])).length, 3 * 256);
      const error = await assertRejects(() => d.frames.read([2, 4]), InputError);
      for (const part of [path, "/entry_1/data_1/data", "frame 4", "NaN", "(y 3, x 5)"]) {
        assert(error.message.includes(part), `mentions "${part}": ${error.message}`);
      }
    } finally {
      d.frames.close();
    }
  });
});

Deno.test("readCxi() clips small negative counts and counts them instead of refusing", async () => {
  const frames = fixtureFrames(6, 16);
  frames[7] = -1;
  frames[300] = -0.5;
  frames[1000] = -2;
  const part = { data: frames, shape: [6, 16, 16], dtype: "<f" };
  await withFixture({ "/entry_1/data_1/data": part }, async (path) => {
    const d = await readCxi(path);
    try {
      assertEquals(d.clippedNegatives, 3);
      const got = await d.frames.read([0, 1, 3]);
      assertEquals([got[7], got[256 + 44], got[512 + 232]], [0, 0, 0]);
    } finally {
      d.frames.close();
    }
  });
});

Deno.test("readCxi() refuses a mask whose shape differs from the frames", async () => {
  const mask = { data: new Uint8Array(15 * 16).fill(1), shape: [15, 16], dtype: "<B" };
  await withFixture(
    { [`${DETECTOR}/mask`]: mask },
    (path) => refuses(path, `${DETECTOR}/mask`, "[15,16]", "16 x 16"),
  );
});

Deno.test("readCxi() refuses zero or negative distance, pixel size and energy", async () => {
  for (
    const [where, value] of [
      [`${DETECTOR}/distance`, 0],
      [`${DETECTOR}/x_pixel_size`, -75e-6],
      [`${DETECTOR}/y_pixel_size`, 0],
      ["/entry_1/instrument_1/source_1/energy", -1e-15],
    ] as const
  ) {
    await withFixture({ [where]: scalar(value) }, (path) => refuses(path, where, String(value)));
  }
  await withFixture(
    { [`${DETECTOR}/distance`]: null },
    (path) => refuses(path, `${DETECTOR}/distance`, "missing"),
  );
});

Deno.test("readCxi() refuses an illumination of the wrong shape", async () => {
  const probe = { complex: new Float32Array(2 * 12 * 12).fill(1), shape: [12, 12] };
  await withFixture(
    { "/entry_1/instrument_1/source_1/illumination": probe },
    (path) => refuses(path, "/entry_1/instrument_1/source_1/illumination", "[12,12]", "16 x 16"),
  );
});

Deno.test("readCxi() refuses an unknown source probe kind", async () => {
  await withFixture(
    { "/entry_1/instrument_1/source_1/probe": { text: "neutron" } },
    (path) => refuses(path, "/entry_1/instrument_1/source_1/probe", "neutron", "electron"),
  );
});

Deno.test("FrameSource.read() asks HDF5 only for the runs of frames it was given", async () => {
  await withFixture({}, async (path) => {
    const { dataset } = await openCxi(path, { scan: false });
    const frames = dataset.frames as CxiFrames;
    const calls: [number, number][] = [];
    const readRange = frames.readRange.bind(frames);
    frames.readRange = (start, end, clip) => {
      calls.push([start, end]);
      return readRange(start, end, clip);
    };
    try {
      await frames.read([11, 2, 3, 12, 4]);
      assertEquals(calls, [[2, 5], [11, 13]]);
    } finally {
      frames.close();
    }
  }, { count: 16 });
});
