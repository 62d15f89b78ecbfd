import { assert, assertEquals } from "../assert.ts";
import { launchGrants, rankStatus } from "../../src/launch.ts";
import { ENV_VARIABLES, PROGRAM_READS, SYSTEM_READS } from "../../src/engine/grants.ts";
import { runTessera, taskPermissions } from "./run.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

/**
 * Runs `deno task reconstruct ...` from the repository root, as a user does, in `env` alone (by
 * default this process's environment with `NO_COLOR=1`).
 */
async function runTask(
  args: string[],
  env: Record<string, string> = { ...Deno.env.toObject(), NO_COLOR: "1" },
) {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["task", "reconstruct", ...args],
    cwd: ROOT,
    env,
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

/** Every file under `dir`, relative to it, sorted. */
async function listing(dir: string, prefix = ""): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const path = `${prefix}${entry.name}`;
    if (entry.isDirectory) found.push(...await listing(`${dir}/${entry.name}`, `${path}/`));
    else found.push(path);
  }
  return found.sort();
}

Deno.test("deno task reconstruct with -o outside the project writes there and only there", async () => {
  const data = await Deno.makeTempDir({ prefix: "tessera-data-" });
  const elsewhere = await Deno.makeTempDir({ prefix: "tessera-elsewhere-" });
  const input = `${data}/scan.cxi`;
  const simulate = await runTessera(
    ["simulate", "--preset", "siemens", "--out", input, "--frame", "32", "--positions", "20"],
    { permissions: taskPermissions("simulate", data) },
  );
  assertEquals(simulate.code, 0, simulate.stderr);
  const projectOut = `${ROOT}out`;
  await Deno.mkdir(projectOut, { recursive: true });
  const before = await listing(projectOut);
  const out = `${elsewhere}/run1`;
  const run = await runTask(["-i", input, "-o", out, "-n", "2", "--algorithm", "gd", "-q"]);
  assertEquals(run.code, 0, run.stderr);
  assertEquals(await listing(elsewhere), [
    "run1/convergence.svg",
    "run1/object_amplitude.png",
    "run1/object_phase.png",
    "run1/probe.png",
    "run1/product.h5",
    "run1/report.html",
    "run1/report.json",
  ]);
  assertEquals(await listing(data), ["scan.cxi"]);
  assertEquals(await listing(projectOut), before);
  const report = JSON.parse(await Deno.readTextFile(`${out}/report.json`));
  assertEquals(report.permissions, {
    read: [input, out, ...SYSTEM_READS, ...PROGRAM_READS],
    write: [out],
    env: [...ENV_VARIABLES],
    net: [],
    run: false,
    ffi: false,
    sys: false,
  });
  await Deno.remove(data, { recursive: true });
  await Deno.remove(elsewhere, { recursive: true });
});

Deno.test("the launcher derives a resumed run's grants from its checkpoint, config and --serve", async () => {
  const dir = await Deno.makeTempDir();
  const config = `${dir}/run.yaml`;
  await Deno.writeTextFile(config, `out: ${dir}/configured\n`);
  const fromConfig = await launchGrants(["reconstruct", "--config", config, "--serve", "9123"]);
  assert(typeof fromConfig === "object");
  assertEquals(fromConfig.write, [`${dir}/configured`]);
  assertEquals(fromConfig.read.slice(0, 2), [config, `${dir}/configured`]);
  assertEquals(fromConfig.net, ["127.0.0.1:9123"]);
  // A resumed run reads the input its checkpoint names and writes where that run wrote.
  const { saveCheckpoint } = await import("../../src/engine/checkpoint.ts");
  await saveCheckpoint(`${dir}/first/checkpoint`, {
    meta: { options: { input: `${dir}/scan.cxi`, out: `${dir}/first` }, iteration: 3 },
    arrays: { x: new Float32Array([1, 2]) },
  });
  const resumed = await launchGrants(["reconstruct", "--resume", `${dir}/first`]);
  assert(typeof resumed === "object");
  assertEquals(resumed.write, [`${dir}/first`]);
  assertEquals(resumed.read.slice(0, 2), [`${dir}/scan.cxi`, `${dir}/first`]);
  assertEquals(resumed.net, []);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("deno task reconstruct --help prints the help under the launcher's grants, colours asked or not", async () => {
  // Commander's colour check reads FORCE_COLOR and CLICOLOR_FORCE unless NO_COLOR is set; the
  // launcher may not read them, and `--help` aborted with NotCapable when a user had no NO_COLOR.
  const environment = { ...Deno.env.toObject() };
  delete environment.NO_COLOR;
  for (const env of [environment, { ...environment, CLICOLOR_FORCE: "1" }]) {
    const run = await runTask(["--help"], env);
    assertEquals(run.code, 0, run.stderr);
    assert(run.stdout.includes("Usage: tessera reconstruct"), run.stdout);
    assert(!run.stdout.includes("\x1b["), "help carries no colour codes");
  }
});

Deno.test("deno task reconstruct --serve 0.0.0.0:PORT without a token is refused with exit 2", async () => {
  const run = await runTask(["--serve", "0.0.0.0:9124", "-n", "1"]);
  assertEquals(run.code, 2, run.stderr);
  assert(/--serve-token/.test(run.stderr), run.stderr);
  const short = await runTask(["--serve", "0.0.0.0:9124", "--serve-token", "abc"]);
  assertEquals(short.code, 2, short.stderr);
  assert(/at least 8 characters/.test(short.stderr), short.stderr);
});

Deno.test("deno task reconstruct takes --out and more from a YAML config file and may read it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tessera-config-" });
  const input = `${dir}/scan.cxi`;
  const simulate = await runTessera(
    ["simulate", "--preset", "siemens", "--out", input, "--frame", "32", "--positions", "16"],
    { permissions: taskPermissions("simulate", dir) },
  );
  assertEquals(simulate.code, 0, simulate.stderr);
  const config = `${dir}/run.yaml`;
  await Deno.writeTextFile(config, `out: ${dir}/from-config\niterations: 1\nalgorithm: gd\n`);
  const run = await runTask(["-i", input, "--config", config, "-q"]);
  assertEquals(run.code, 0, run.stderr);
  const report = JSON.parse(await Deno.readTextFile(`${dir}/from-config/report.json`));
  assertEquals(report.iterations, 1);
  assertEquals(report.permissions.read.slice(0, 3), [input, config, `${dir}/from-config`]);
  assertEquals(report.permissions.write, [`${dir}/from-config`]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("an MPI rank's launcher names a rank killed from outside as the failure, and only notes one that aborted itself", () => {
  const printed: string[] = [];
  const error = console.error;
  console.error = (line: string) => printed.push(line);
  try {
    const ended = (signal: Deno.Signal | null, code: number) => ({ success: false, code, signal });
    assertEquals(rankStatus(ended(null, 3), true), 3);
    assertEquals(rankStatus(ended("SIGKILL", 137), false), 137);
    assertEquals(printed, [], "an exit status, or a run outside MPI: nothing added");
    assertEquals(rankStatus(ended("SIGKILL", 137), true), 1);
    assertEquals(rankStatus(ended("SIGABRT", 134), true), 1);
    const rank = Deno.env.get("PMI_RANK") ?? "?";
    assertEquals(printed, [
      `error: Rank ${rank} was killed by SIGKILL; the job ends`,
      `note: Rank ${rank} aborted (SIGABRT); its reason is printed above`,
    ]);
  } finally {
    console.error = error;
  }
});
