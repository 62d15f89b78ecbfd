import { assert, assertEquals, assertRejects } from "../assert.ts";
import { InputError } from "../../src/data/errors.ts";
import {
  checkpointDirectory,
  loadCheckpoint,
  saveCheckpoint,
} from "../../src/engine/checkpoint.ts";
import { testRandom } from "../kernels/random.ts";

function random(n: number): Float64Array {
  return Float64Array.from({ length: n }, () => testRandom() - 0.5);
}

Deno.test("saveCheckpoint() round-trips metadata and arrays with identical bits", async () => {
  const out = await Deno.makeTempDir();
  const arrays = {
    "x.object": Float32Array.from(random(37)),
    "x.probe": random(16),
    index: Int32Array.from([3, -1, 7]),
    empty: new Float32Array(0),
  };
  const meta = { iteration: 12, costs: [1.5, 0.1 + 0.2, 1e-300], name: "run" };
  await saveCheckpoint(checkpointDirectory(out), { meta, arrays });
  // Both the output directory and the checkpoint directory itself are accepted.
  for (const dir of [out, checkpointDirectory(out)]) {
    const back = await loadCheckpoint(dir);
    assertEquals(back.meta, meta);
    assertEquals(back.arrays, arrays);
    assertEquals(back.dir, checkpointDirectory(out));
  }
  await Deno.remove(out, { recursive: true });
});

Deno.test("a second checkpoint replaces the first and leaves no temporary file", async () => {
  const dir = await Deno.makeTempDir();
  await saveCheckpoint(dir, { meta: { iteration: 1 }, arrays: { a: random(8) } });
  const second = random(8);
  await saveCheckpoint(dir, { meta: { iteration: 2 }, arrays: { a: second } });
  const names = [...Deno.readDirSync(dir)].map((e) => e.name);
  assertEquals(names, ["state.tsck"]);
  const back = await loadCheckpoint(dir);
  assertEquals(back.meta.iteration, 2);
  assertEquals(back.arrays.a, second);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("loadCheckpoint() names the directory when there is no checkpoint or a bad one", async () => {
  const dir = await Deno.makeTempDir();
  const missing = await assertRejects(() => loadCheckpoint(dir), InputError);
  assert(missing.message.includes(`Cannot resume from ${dir}: there is no checkpoint`));
  await Deno.writeTextFile(`${dir}/state.tsck`, "not a checkpoint at all");
  const bad = await assertRejects(() => loadCheckpoint(dir), InputError);
  assert(bad.message.includes("it is not a Tessera checkpoint"), bad.message);
  await Deno.remove(dir, { recursive: true });
});
