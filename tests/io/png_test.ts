import { drawText, GLYPH_HEIGHT } from "../../src/io/_font.ts";
import { crc32, encodePng, type Image } from "../../src/io/png.ts";
import {
  lengthLabel,
  objectAmplitudeImage,
  objectPhaseImage,
  probeImage,
} from "../../src/io/pictures.ts";
import { assert, assertEquals } from "../assert.ts";
import { random } from "./_cxi_fixture.ts";

/** Decodes what encodePng writes (filter 0 rows), checking every chunk's CRC on the way. */
async function decodePng(bytes: Uint8Array): Promise<Image> {
  assertEquals([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  let at = 8, width = 0, height = 0, channels: 1 | 3 = 1;
  const idat: Uint8Array[] = [];
  while (at < bytes.length) {
    const length = view.getUint32(at);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    const body = bytes.subarray(at + 8, at + 8 + length);
    const crc = (crc32(bytes.subarray(at + 4, at + 8 + length)) ^ 0xffffffff) >>> 0;
    assertEquals(view.getUint32(at + 8 + length), crc, `CRC of ${type}`);
    if (type === "IHDR") {
      width = view.getUint32(at + 8);
      height = view.getUint32(at + 12);
      assertEquals(body[8], 8, "bit depth");
      channels = body[9] === 0 ? 1 : 3;
    }
    if (type === "IDAT") idat.push(body);
    at += 12 + length;
  }
  const stream = new Blob(idat as Uint8Array<ArrayBuffer>[]).stream()
    .pipeThrough(new DecompressionStream("deflate"));
  const raw = new Uint8Array(await new Response(stream).arrayBuffer());
  const stride = width * channels;
  const data = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    assertEquals(raw[y * (stride + 1)], 0, "filter type");
    data.set(raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1)), y * stride);
  }
  return { width, height, channels, data };
}

Deno.test("encodePng() writes grey and RGB images that decode to the same pixels", async () => {
  const rand = random(11);
  for (const channels of [1, 3] as const) {
    const image = {
      width: 37,
      height: 23,
      channels,
      data: Uint8Array.from({ length: 37 * 23 * channels }, () => Math.floor(256 * rand())),
    };
    assertEquals(await decodePng(await encodePng(image)), image);
  }
});

Deno.test("crc32() gives the standard check value for '123456789'", () => {
  const bytes = new TextEncoder().encode("123456789");
  assertEquals((crc32(bytes) ^ 0xffffffff) >>> 0, 0xcbf43926);
});

Deno.test("lengthLabel() picks µm, nm or Å", () => {
  assertEquals(lengthLabel(2e-6), "2 µm");
  assertEquals(lengthLabel(500e-9), "500 nm");
  assertEquals(lengthLabel(1e-9), "1 nm");
  assertEquals(lengthLabel(5e-10), "5 Å");
});

/** Rows and columns holding ink when `glyph` is drawn alone at scale 1. */
function ink(glyph: string): { rows: number[]; columns: number[] } {
  const image = { width: 6, height: GLYPH_HEIGHT, data: new Uint8Array(3 * 6 * GLYPH_HEIGHT) };
  drawText(image, glyph, { x: 0, y: 0, scale: 1, colour: [255, 255, 255] });
  const rows = new Set<number>(), columns = new Set<number>();
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < image.width; x++) {
      if (image.data[3 * (y * image.width + x)]) rows.add(y), columns.add(x);
    }
  }
  return { rows: [...rows].sort((a, b) => a - b), columns: [...columns].sort((a, b) => a - b) };
}

Deno.test("the scale bar's µ stands on the baseline with n and m and has a descender", () => {
  const n = ink("n"), m = ink("m"), mu = ink("µ");
  assertEquals(m.rows, n.rows, "n and m share the x-height");
  const baseline = n.rows.at(-1)!;
  // Its body spans n's rows exactly; below the baseline only the left stem continues.
  assertEquals(mu.rows.filter((r) => r <= baseline), n.rows);
  assert(mu.rows.at(-1)! > baseline, "a descender below the baseline");
  const image = { width: 6, height: GLYPH_HEIGHT, data: new Uint8Array(3 * 6 * GLYPH_HEIGHT) };
  drawText(image, "µ", { x: 0, y: 0, scale: 1, colour: [255, 255, 255] });
  for (let y = baseline + 1; y < GLYPH_HEIGHT; y++) {
    const lit = [0, 1, 2, 3, 4].filter((x) => image.data[3 * (y * 6 + x)]);
    assert(lit.length === 0 || (lit.length === 1 && lit[0] === 0), `row ${y}: ${lit}`);
  }
});

/** A 1-slice object whose phase rises left to right and amplitude top to bottom. */
function ramps(h: number, w: number) {
  const data = new Float32Array(2 * h * w);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const phase = x / w - 0.5, amp = 0.5 + y / h;
      data[2 * (y * w + x)] = amp * Math.cos(phase);
      data[2 * (y * w + x) + 1] = amp * Math.sin(phase);
    }
  }
  return { shape: [1, h, w], data };
}

Deno.test("objectPhaseImage() shows phase as grey rising with phase, with a scale bar", () => {
  const image = objectPhaseImage(ramps(64, 80), 10e-9);
  assertEquals([image.width, image.height, image.channels], [80 * 4, 64 * 4, 3]);
  const grey = (x: number, y: number) => image.data[3 * (y * image.width + x)];
  // Upper part (away from the scale bar): darker left, brighter right.
  assert(grey(8, 20) < 30 && grey(image.width - 8, 20) > 225, "stretched phase ramp");
  assert(grey(40, 20) < grey(160, 20) && grey(160, 20) < grey(280, 20), "monotonic");
  // The scale bar's box is black with white pixels (bar and label) in the lower left.
  let white = 0;
  for (let y = image.height - 60; y < image.height; y++) {
    for (let x = 0; x < 120; x++) white += grey(x, y) === 255 ? 1 : 0;
  }
  assert(white > 100, `scale bar drawn (${white} white pixels)`);
});

Deno.test("objectAmplitudeImage() lays slices out as a montage", () => {
  const two = ramps(32, 32);
  const object = { shape: [2, 32, 32], data: new Float32Array(4 * 32 * 32) };
  object.data.set(two.data);
  object.data.set(two.data, two.data.length);
  const image = objectAmplitudeImage(object, 1e-10);
  assertEquals([image.width, image.height], [2 * 256 + 4, 256]);
  const grey = (x: number, y: number) => image.data[3 * (y * image.width + x)];
  assert(grey(200, 10) < grey(200, 120), "amplitude rises downward in slice 0");
  assert(grey(260 + 200, 10) < grey(260 + 200, 120), "and in slice 1");
});

Deno.test("probeImage() colours phase as hue and amplitude as brightness", () => {
  const M = 32, data = new Float32Array(2 * M * M);
  for (let i = 0; i < M * M; i++) {
    const x = i % M;
    // Left half phase 0 (red), right half phase 2 pi / 3 (green); amplitude 1.
    data[2 * i] = x < M / 2 ? 1 : Math.cos(2 * Math.PI / 3);
    data[2 * i + 1] = x < M / 2 ? 0 : Math.sin(2 * Math.PI / 3);
  }
  const image = probeImage({ shape: [1, M, M], data }, 1e-9);
  const rgb = (
    x: number,
    y: number,
  ) => [...image.data.subarray(3 * (y * image.width + x), 3 * (y * image.width + x) + 3)];
  assertEquals(rgb(20, 10), [255, 0, 0]);
  assertEquals(rgb(image.width - 20, 10), [0, 255, 0]);
});
