/**
 * Checkpoints as a user meets them: real `reconstruct` subprocesses, one killed with SIGKILL
 * between checkpoints and one stopped with Ctrl-C (SIGINT), each resumed with `--resume`, must
 * end with the same bits as a run that was never stopped.
 */
import { assert, assertEquals } from "../assert.ts";
import { readProduct } from "../../src/io/product.ts";
import { runTessera } from "../cli/run.ts";

const MAIN = new URL("../../src/main.ts", import.meta.url).pathname;
const ITERATIONS = 12;

/**
 * The options every run of this test shares (small problem, checkpoint every 2 iterations, cg,
 * whose checkpoints this test is about).
 */
function runArgs(input: string, out: string): string[] {
  return [
    "reconstruct",
    "--algorithm",
    "cg",
    "--input",
    input,
    "--out",
    out,
    "--iterations",
    String(ITERATIONS),
    "--checkpoint-every",
    "2",
    "--refine-probe-from",
    "3",
    "--quiet",
  ];
}

async function simulated(dir: string): Promise<string> {
  const file = `${dir}/small.cxi`;
  const run = await runTessera([
    "simulate",
    "--preset",
    "siemens",
    "--out",
    file,
    "--frame",
    "32",
    "--positions",
    "30",
  ]);
  assertEquals(run.code, 0, run.stderr);
  return file;
}

/** Starts a run and sends `signal` as soon as its first checkpoint exists. */
async function interrupted(args: string[], out: string, signal: Deno.Signal) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const checkpoint = `${out}/checkpoint/state.tsck`;
  for (;;) {
    const exists = await Deno.stat(checkpoint).then(() => true, () => false);
    if (exists) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  child.kill(signal);
  return await child.output();
}

async function finalObject(out: string): Promise<Float32Array> {
  return (await readProduct(`${out}/product.h5`)).object.data;
}

Deno.test("a run killed between checkpoints and resumed ends bit for bit like an unstopped one", async () => {
  const dir = await Deno.makeTempDir();
  const input = await simulated(dir);
  const straight = await runTessera(runArgs(input, `${dir}/straight`));
  assertEquals(straight.code, 0, straight.stderr);

  const out = `${dir}/killed`;
  const killed = await interrupted(runArgs(input, out), out, "SIGKILL");
  assertEquals(killed.signal, "SIGKILL");
  const noReport = await Deno.stat(`${out}/report.json`).then(() => false, () => true);
  assert(noReport, "the killed run must not have finished");

  const resumed = await runTessera(["reconstruct", "--resume", out, "--quiet"]);
  assertEquals(resumed.code, 0, resumed.stderr);
  const report = JSON.parse(await Deno.readTextFile(`${out}/report.json`));
  const reference = JSON.parse(await Deno.readTextFile(`${dir}/straight/report.json`));
  assert(report.resumed_from_iteration > 0, "the run continued from a checkpoint");
  assertEquals(report.loss_values, reference.loss_values);
  assertEquals(await finalObject(out), await finalObject(`${dir}/straight`));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("Ctrl-C writes a checkpoint and exits 130; --resume then ends like an unstopped run", async () => {
  const dir = await Deno.makeTempDir();
  const input = await simulated(dir);
  const straight = await runTessera(runArgs(input, `${dir}/straight`));
  assertEquals(straight.code, 0, straight.stderr);

  const out = `${dir}/stopped`;
  const stopped = await interrupted(runArgs(input, out), out, "SIGINT");
  assertEquals(stopped.code, 130, new TextDecoder().decode(stopped.stderr));
  const stoppedReport = JSON.parse(await Deno.readTextFile(`${out}/report.json`));
  assertEquals(stoppedReport.interrupted, true);

  // Resuming a run stopped early with more iterations than it had is allowed.
  const resumed = await runTessera(
    ["reconstruct", "--resume", out, "--iterations", String(ITERATIONS), "--quiet"],
  );
  assertEquals(resumed.code, 0, resumed.stderr);
  assertEquals(await finalObject(out), await finalObject(`${dir}/straight`));
  await Deno.remove(dir, { recursive: true });
});
