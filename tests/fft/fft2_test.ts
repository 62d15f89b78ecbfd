import { assert, assertLessOrEqual, assertRejects, assertThrows, relativeL2 } from "../assert.ts";
import { type Gpu, requestGpu } from "../../src/gpu/mod.ts";
import {
  Fft2,
  fft2Reference,
  type FftDesign,
  type FftOptions,
  fftshift2,
} from "../../src/fft/mod.ts";
import { testRandom } from "../kernels/random.ts";

const SIZES = [2, 8, 32, 64, 128, 256, 512, 1024];
const DESIGNS: FftDesign[] = ["unrolled", "workgroup"];
/** Odd on purpose, so a kernel that assumes pairs of frames fails. */
const BATCH = 3;
const TOLERANCE = 1e-5;

interface Frames {
  re: Float64Array;
  im: Float64Array;
}

function randomFrames(n: number, batch: number): Frames {
  const length = n * n * batch;
  return {
    re: new Float64Array(length).map(() => testRandom() * 2 - 1),
    im: new Float64Array(length).map(() => testRandom() * 2 - 1),
  };
}

function interleave({ re, im }: Frames): Float32Array {
  const out = new Float32Array(2 * re.length);
  for (let i = 0; i < re.length; i++) {
    out[2 * i] = re[i];
    out[2 * i + 1] = im[i];
  }
  return out;
}

function copy({ re, im }: Frames): Frames {
  return { re: re.slice(), im: im.slice() };
}

/** The float64 result of what `Fft2` is asked to do, shifts included. */
function reference(x: Frames, n: number, batch: number, inverse: boolean, o: FftOptions): Frames {
  const y = copy(x);
  if (o.shiftInput) fftshift2(y.re, y.im, n, batch);
  fft2Reference(y.re, y.im, n, batch, inverse);
  if (o.shiftOutput) fftshift2(y.re, y.im, n, batch);
  return y;
}

function nanFilled(gpu: Gpu, floats: number, label: string): GPUBuffer {
  return gpu.upload(new Float32Array(floats).fill(NaN), label);
}

/** Runs one transform out of place into a NaN-poisoned buffer and returns the relative error. */
async function errorOf(
  gpu: Gpu,
  fft: Fft2,
  x: Frames,
  batch: number,
  inverse: boolean,
  options: FftOptions = {},
): Promise<number> {
  const n = fft.n;
  const src = gpu.upload(interleave(x), "src");
  const dst = nanFilled(gpu, 2 * n * n * batch, "dst");
  (inverse ? fft.inverse : fft.forward).call(fft, src, dst, batch, options);
  const got = await gpu.readF32(dst);
  gpu.release(src, dst);
  return relativeL2(got, interleave(reference(x, n, batch, inverse, options)));
}

async function withGpu(body: (gpu: Gpu) => Promise<void>): Promise<void> {
  const gpu = await requestGpu({ label: "fft test" });
  try {
    await body(gpu);
  } finally {
    gpu.destroy();
  }
}

for (const design of DESIGNS) {
  Deno.test(`fft2() matches the float64 reference forward and inverse for n = 2..1024 x ${BATCH} (${design})`, async () => {
    await withGpu(async (gpu) => {
      for (const n of SIZES) {
        const fft = await Fft2.create(gpu, n, { design });
        for (const inverse of [false, true]) {
          const error = await errorOf(gpu, fft, randomFrames(n, BATCH), BATCH, inverse);
          assertLessOrEqual(error, TOLERANCE, `${n} x ${n}, inverse ${inverse}`);
        }
        fft.destroy();
      }
    });
  });

  Deno.test(`fft2() folds fftshift into loads and stores like the shifted reference (${design})`, async () => {
    await withGpu(async (gpu) => {
      for (const n of [64, 512]) {
        const fft = await Fft2.create(gpu, n, { design });
        for (const inverse of [false, true]) {
          for (const [shiftInput, shiftOutput] of [[true, false], [false, true], [true, true]]) {
            const options = { shiftInput, shiftOutput };
            const error = await errorOf(gpu, fft, randomFrames(n, 2), 2, inverse, options);
            assertLessOrEqual(error, TOLERANCE, `${n}, ${JSON.stringify(options)}, ${inverse}`);
          }
        }
        fft.destroy();
      }
    });
  });

  Deno.test(`fft2() in place keeps the norm and its inverse returns the input (${design})`, async () => {
    await withGpu(async (gpu) => {
      for (const n of [128, 1024]) {
        const fft = await Fft2.create(gpu, n, { design });
        const x = randomFrames(n, BATCH);
        const input = interleave(x);
        const buffer = gpu.upload(input, "frames");
        fft.forward(buffer, buffer, BATCH, { shiftOutput: true });
        const spectrum = await gpu.readF32(buffer);
        const want = interleave(reference(x, n, BATCH, false, { shiftOutput: true }));
        assertLessOrEqual(relativeL2(spectrum, want), TOLERANCE, `${n} in place`);
        const norm = (a: Float32Array) => a.reduce((s, v) => s + v * v, 0);
        // Parseval: the unitary transform keeps sum |psi|^2.
        assertLessOrEqual(Math.abs(norm(spectrum) / norm(input) - 1), TOLERANCE, `${n} norm`);
        fft.inverse(buffer, buffer, BATCH, { shiftInput: true });
        const back = await gpu.readF32(buffer);
        assertLessOrEqual(relativeL2(back, input), TOLERANCE, `${n} round trip`);
        gpu.release(buffer);
        fft.destroy();
      }
    });
  });

  Deno.test(`fft2() reads and writes frames at byte offsets and leaves the rest untouched (${design})`, async () => {
    await withGpu(async (gpu) => {
      const n = 32;
      const frame = 2 * n * n;
      const fft = await Fft2.create(gpu, n, { design });
      const x = randomFrames(n, 5);
      const all = interleave(x);
      const src = gpu.upload(all, "src");
      const dst = nanFilled(gpu, 6 * frame, "dst");
      fft.forward(src, dst, 2, { srcOffset: 4 * 2 * frame, dstOffset: 4 * 3 * frame });
      const got = await gpu.readF32(dst);
      const want = reference(
        { re: x.re.slice(2 * n * n, 4 * n * n), im: x.im.slice(2 * n * n, 4 * n * n) },
        n,
        2,
        false,
        {},
      );
      assertLessOrEqual(
        relativeL2(got.subarray(3 * frame, 5 * frame), interleave(want)),
        TOLERANCE,
      );
      assert(
        got.subarray(0, 3 * frame).every(Number.isNaN),
        "frames before dstOffset were written",
      );
      assert(got.subarray(5 * frame).every(Number.isNaN), "frames after the batch were written");
      assertThrows(() => fft.forward(src, dst, 2, { srcOffset: 8 }), RangeError);
      assertThrows(() => fft.forward(src, dst, 7), RangeError);
      gpu.release(src, dst);
      fft.destroy();
    });
  });
}

Deno.test("a plan reused with a larger batch grows its scratch without breaking recorded work", async () => {
  await withGpu(async (gpu) => {
    const n = 64;
    const fft = await Fft2.create(gpu, n);
    const small = randomFrames(n, 1);
    const large = randomFrames(n, 4);
    const src1 = gpu.upload(interleave(small), "small");
    const src4 = gpu.upload(interleave(large), "large");
    const dst1 = nanFilled(gpu, 2 * n * n, "small out");
    const dst4 = nanFilled(gpu, 2 * n * n * 4, "large out");
    fft.forward(src1, dst1, 1);
    fft.forward(src4, dst4, 4);
    const got1 = await gpu.readF32(dst1);
    const got4 = await gpu.readF32(dst4);
    assertLessOrEqual(relativeL2(got1, interleave(reference(small, n, 1, false, {}))), TOLERANCE);
    assertLessOrEqual(relativeL2(got4, interleave(reference(large, n, 4, false, {}))), TOLERANCE);
    gpu.release(src1, src4, dst1, dst4);
    fft.destroy();
  });
});

Deno.test("Fft2.create() rejects sizes that are not powers of two or too long for the design", async () => {
  await withGpu(async (gpu) => {
    for (const n of [0, 48, 4096]) {
      await assertRejects(() => Fft2.create(gpu, n), RangeError);
    }
    await assertRejects(() => Fft2.create(gpu, 2048, { design: "workgroup" }), RangeError);
  });
});
