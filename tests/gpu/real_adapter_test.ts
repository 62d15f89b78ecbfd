/**
 * Checks that prove a real GPU ran the suite (the self-hosted `gpu` job of
 * .github/workflows/ci.yml): the adapter is not the fallback, a run's report.json says so, and
 * the FFT picks its workgroup design there and matches the float64 reference.
 *
 * On a fallback (software) adapter they are ignored, with the reason printed, unless
 * TESSERA_REQUIRE_GPU=1 (set by the GPU job), where a fallback adapter fails them.
 */
import { assertEquals, assertLessOrEqual, relativeL2 } from "../assert.ts";
import { requestGpu } from "../../src/gpu/mod.ts";
import { Fft2, fft2Reference } from "../../src/fft/mod.ts";
import { random } from "../io/_cxi_fixture.ts";
import { runTessera, taskPermissions } from "../cli/run.ts";

const adapter = await (async () => {
  const gpu = await requestGpu({ label: "adapter check" });
  const info = gpu.info;
  gpu.destroy();
  return info;
})();
const required = Deno.env.get("TESSERA_REQUIRE_GPU") === "1";
const ignore = adapter.fallback && !required;
if (ignore) {
  console.log(
    `GPU-only checks ignored: the adapter is the fallback "${adapter.description}" ` +
      "(set TESSERA_REQUIRE_GPU=1 to make them fail instead, as the gpu CI job does)",
  );
}

Deno.test({
  name: "the adapter is a real GPU, not the fallback",
  ignore,
  fn: () => assertEquals(adapter.fallback, false, adapter.description),
});

Deno.test({
  name: "a run on the GPU records fallback: false in report.json",
  ignore,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    const input = `${dir}/scan.cxi`;
    const simulate = await runTessera(
      ["simulate", "--preset", "siemens", "--out", input, "--frame", "32", "--positions", "20"],
      { permissions: taskPermissions("simulate", dir) },
    );
    assertEquals(simulate.code, 0, simulate.stderr);
    const run = await runTessera(
      ["reconstruct", "-i", input, "-o", `${dir}/run`, "-n", "2", "--json"],
      { permissions: taskPermissions("reconstruct", dir) },
    );
    assertEquals(run.code, 0, run.stderr);
    assertEquals(JSON.parse(run.stdout).adapter.fallback, false);
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test({
  name: "on a real GPU the FFT selects its workgroup design and matches the float64 reference",
  ignore,
  fn: async () => {
    const gpu = await requestGpu({ label: "workgroup fft check" });
    try {
      const rand = random(11);
      for (const n of [64, 256, 1024]) {
        const fft = await Fft2.create(gpu, n);
        assertEquals(fft.design, "workgroup", `${n} x ${n}`);
        const batch = 3;
        const re = Float64Array.from({ length: n * n * batch }, () => 2 * rand() - 1);
        const im = Float64Array.from({ length: n * n * batch }, () => 2 * rand() - 1);
        const input = new Float32Array(2 * re.length);
        re.forEach((v, i) => (input[2 * i] = v, input[2 * i + 1] = im[i]));
        const src = gpu.upload(input, "src");
        const dst = gpu.upload(new Float32Array(input.length).fill(NaN), "dst");
        fft.forward(src, dst, batch);
        const got = await gpu.readF32(dst);
        gpu.release(src, dst);
        fft2Reference(re, im, n, batch, false);
        const expected = new Float32Array(2 * re.length);
        re.forEach((v, i) => (expected[2 * i] = v, expected[2 * i + 1] = im[i]));
        assertLessOrEqual(relativeL2(got, expected), 1e-5, `${n} x ${n}`);
        fft.destroy();
      }
    } finally {
      gpu.destroy();
    }
  },
});
