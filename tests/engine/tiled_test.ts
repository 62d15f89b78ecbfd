import { assert, assertEquals } from "../assert.ts";
import { runTessera, taskPermissions } from "../cli/run.ts";
import { readProduct } from "../../src/io/product.ts";

Deno.test("reconstruct --tiles 2x2 --workers 2 hands over to the tiled engine and reports each worker and the default algorithm", async () => {
  const dir = await Deno.makeTempDir();
  const input = `${dir}/star.cxi`;
  const simulate = await runTessera(
    ["simulate", "--preset", "siemens", "--out", input, "--frame", "32", "--positions", "60"],
  );
  assertEquals(simulate.code, 0, simulate.stderr);
  const out = `${dir}/tiled`;
  const run = await runTessera(
    [
      "reconstruct",
      "-i",
      input,
      "-o",
      out,
      "--tiles",
      "2x2",
      "--workers",
      "2",
      "-n",
      "3",
      "--json",
    ],
    { permissions: taskPermissions("reconstruct", dir) },
  );
  assertEquals(run.code, 0, run.stderr);
  const report = JSON.parse(run.stdout);
  assertEquals(report.algorithm, "lsqml");
  assert(!run.stderr.includes("note:"), run.stderr);
  assertEquals(report.tiles, [2, 2]);
  assertEquals(report.workers, 2);
  assertEquals(report.device_bytes_peak_per_worker.length, 2);
  assert(report.device_bytes_peak_per_worker.every((b: number) => b > 0));
  assertEquals(report.loss_values.length, 4);
  assert(/workers 2\/2$/m.test(run.stderr), run.stderr);
  assert((await Deno.stat(`${out}/product.h5`)).size > 0);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("epie with tiles is a usage mistake explained in one paragraph (exit 2)", async () => {
  const dir = await Deno.makeTempDir();
  const run = await runTessera(
    ["reconstruct", "--tiles", "2x1", "--algorithm", "epie", "-o", `${dir}/x`, "--quiet"],
  );
  assertEquals(run.code, 2, run.stderr);
  assert(run.stderr.startsWith("error: --algorithm epie runs on one device only"), run.stderr);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a tile grid that does not suit the data exits 2 naming the options to change", async () => {
  const dir = await Deno.makeTempDir();
  for (
    const [args, expected] of [
      [["--tiles", "1x1", "--workers", "3"], "Cannot share 1 x 1 tiles among 3 workers"],
      [["--tiles", "40x40", "--workers", "2"], "tiles would hold no scan position"],
    ] as const
  ) {
    const run = await runTessera(["reconstruct", ...args, "-o", `${dir}/x`, "--quiet"]);
    assertEquals(run.code, 2, run.stderr);
    assert(run.stderr.startsWith(`error: ${args.join(" ")} does not suit`), run.stderr);
    assert(run.stderr.includes(expected), run.stderr);
  }
  await Deno.remove(dir, { recursive: true });
});

const TILED_ITERATIONS = 8;

/** A tiled cg run (2 x 2 tiles, 2 workers, sync exchange) checkpointing every 2 iterations. */
function tiledArgs(input: string, out: string): string[] {
  return [
    "reconstruct",
    ...["-i", input, "-o", out, "-a", "cg", "--tiles", "2x2", "--workers", "2"],
    ...["--exchange", "sync"],
    ...["-n", String(TILED_ITERATIONS), "--checkpoint-every", "2", "--refine-probe-from", "3"],
    "--quiet",
  ];
}

/** Starts a run and sends `signal` as soon as its first checkpoint exists. */
async function stoppedAtCheckpoint(args: string[], out: string, signal: Deno.Signal) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("../../src/main.ts", import.meta.url).pathname, ...args],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  while (!await Deno.stat(`${out}/checkpoint/state.tsck`).then(() => true, () => false)) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  child.kill(signal);
  return await child.output();
}

Deno.test("a tiled run killed between checkpoints, or stopped with Ctrl-C, and resumed ends bit for bit like an unstopped one", async () => {
  const dir = await Deno.makeTempDir();
  const input = `${dir}/star.cxi`;
  const simulate = await runTessera(
    ["simulate", "--preset", "siemens", "--out", input, "--frame", "32", "--positions", "40"],
  );
  assertEquals(simulate.code, 0, simulate.stderr);
  const straight = await runTessera(tiledArgs(input, `${dir}/straight`));
  assertEquals(straight.code, 0, straight.stderr);
  const reference = JSON.parse(await Deno.readTextFile(`${dir}/straight/report.json`));
  const referenceObject = (await readProduct(`${dir}/straight/product.h5`)).object.data;

  const killedOut = `${dir}/killed`;
  const killed = await stoppedAtCheckpoint(tiledArgs(input, killedOut), killedOut, "SIGKILL");
  assertEquals(killed.signal, "SIGKILL");
  assert(
    await Deno.stat(`${killedOut}/report.json`).then(() => false, () => true),
    "the killed run must not have finished",
  );
  const resumed = await runTessera(["reconstruct", "--resume", killedOut, "--quiet"]);
  assertEquals(resumed.code, 0, resumed.stderr);
  const report = JSON.parse(await Deno.readTextFile(`${killedOut}/report.json`));
  assert(report.resumed_from_iteration > 0, "the run continued from a checkpoint");
  assertEquals(report.workers, 2);
  assertEquals(report.loss_values, reference.loss_values);
  assertEquals((await readProduct(`${killedOut}/product.h5`)).object.data, referenceObject);

  const stoppedOut = `${dir}/stopped`;
  const stopped = await stoppedAtCheckpoint(tiledArgs(input, stoppedOut), stoppedOut, "SIGINT");
  assertEquals(stopped.code, 130, new TextDecoder().decode(stopped.stderr));
  const stoppedReport = JSON.parse(await Deno.readTextFile(`${stoppedOut}/report.json`));
  assertEquals(stoppedReport.interrupted, true);
  const continued = await runTessera(
    ["reconstruct", "--resume", stoppedOut, "-n", String(TILED_ITERATIONS), "--quiet"],
  );
  assertEquals(continued.code, 0, continued.stderr);
  assertEquals((await readProduct(`${stoppedOut}/product.h5`)).object.data, referenceObject);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("reconstruct --memory-budget below one tile exits 2 with the bytes a tile needs; that many bytes then run cg (the default's stand-in, noted) under the budget", async () => {
  const dir = await Deno.makeTempDir();
  const input = `${dir}/star.cxi`;
  const simulate = await runTessera(
    ["simulate", "--preset", "siemens", "--out", input, "--frame", "32", "--positions", "60"],
  );
  assertEquals(simulate.code, 0, simulate.stderr);
  const args = ["reconstruct", "-i", input, "--tiles", "3x3", "--workers", "2", "-n", "3"];
  const small = await runTessera([...args, "-o", `${dir}/small`, "--memory-budget", "1000"]);
  assertEquals(small.code, 2, small.stderr);
  const need = /a worker needs (\d+) device bytes/.exec(small.stderr);
  assert(need !== null, small.stderr);
  const budget = Number(need[1]);
  const run = await runTessera(
    [...args, "-o", `${dir}/fits`, "--memory-budget", String(budget), "--json"],
  );
  assertEquals(run.code, 0, run.stderr);
  const note = "note: --memory-budget: running cg (lsqml does not stream tiles)";
  assertEquals(run.stderr.split("\n")[0], note, run.stderr);
  assertEquals(JSON.parse(run.stdout).algorithm, "cg");
  const peaks: number[] = JSON.parse(run.stdout).device_bytes_peak_per_worker;
  assertEquals(peaks.length, 2);
  for (const peak of peaks) assert(peak > 0 && peak <= budget, `peak ${peak}, budget ${budget}`);
  await Deno.remove(dir, { recursive: true });
});
