/**
 * The MPI transport between processes started by `mpirun` on loopback (Debian's `mpich`, which
 * `.ci/run` installs). Every launch has a deadline, so a hang fails the test instead of blocking
 * the suite; ranks run the software adapter's defaults at LP_NUM_THREADS=1.
 */
import { combine } from "../../src/parallel/fabric.ts";
import { tilesOf } from "../../src/tiling/mod.ts";
import { assert, assertEquals, assertLessOrEqual } from "../assert.ts";
import { hex, type MpiOutcome, type MpiScenario, spiral, tileVector } from "./mpi_job.ts";

const job = new URL("./mpi_job.ts", import.meta.url).pathname;
const DEADLINE_MS = 60_000;
const scenario: MpiScenario = { length: 9, seed: 4, rounds: 3 };

interface Launch {
  code: number;
  stdout: string;
  stderr: string;
  seconds: number;
}

/**
 * `mpirun -n ranks deno run mpi_job.ts scenario`, killed if it outlives the deadline; `before`
 * runs in front of deno (a program that execs its arguments).
 */
async function mpirun(
  ranks: number,
  s: MpiScenario,
  env: Record<string, string> = {},
  before: string[] = [],
) {
  const started = performance.now();
  const command = new Deno.Command("mpirun", {
    args: [
      "-n",
      String(ranks),
      ...before,
      Deno.execPath(),
      "run",
      "--allow-ffi",
      "--allow-env=TESSERA_MPI_LIB,PMI_FD",
      "--allow-read",
      // Only for the test that kills its own rank (Deno.kill).
      "--allow-run",
      job,
      JSON.stringify(s),
    ],
    env: { ...env, LP_NUM_THREADS: "1", NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(DEADLINE_MS),
  });
  let output: Deno.CommandOutput;
  try {
    output = await command.output();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new Error("mpirun is missing: install Debian's mpich (.ci/run does it)");
    }
    throw error;
  }
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return {
    code: output.code,
    stdout: decode(output.stdout),
    stderr: decode(output.stderr),
    seconds: (performance.now() - started) / 1000,
  } satisfies Launch;
}

function outcomes(launch: Launch, ranks: number): MpiOutcome[] {
  assertEquals(launch.code, 0, `mpirun failed:\n${launch.stderr}`);
  assertEquals(launch.stderr, "");
  const got = launch.stdout.trim().split("\n").map((line) => JSON.parse(line) as MpiOutcome)
    .sort((a, b) => a.rank - b.rank);
  assertEquals(got.map((o) => o.rank), Array.from({ length: ranks }, (_, r) => r));
  return got;
}

Deno.test("MPI all-reduces give the same bits on 1, 2 and 4 ranks: the tile-order sum of seeded data", async () => {
  const { tiling } = spiral();
  const vectors = tiling.regions.map((_, t) => tileVector(scenario.seed, t, scenario.length));
  const sum = hex(combine((t) => vectors[t], vectors.length, scenario.length, "sum"));
  const max = hex(combine((t) => vectors[t], vectors.length, scenario.length, "max"));
  // Summing each half first (as two ranks adding their own tiles would) changes the bits.
  const halves = [0, 6].map((first) =>
    combine((t) => vectors[first + t], 6, scenario.length, "sum")
  );
  assert(
    hex(combine((h) => halves[h], 2, scenario.length, "sum")) !== sum,
    "regrouping kept the bits",
  );
  const tilesSeen: number[][][] = [];
  for (const ranks of [1, 2, 4]) {
    const got = outcomes(await mpirun(ranks, scenario), ranks);
    for (const o of got) {
      assertEquals([o.sum, o.max], [sum, max], `rank ${o.rank} of ${ranks}`);
      assertEquals(o.broadcast, [7, ranks - 1, 9]);
    }
    tilesSeen.push(got.map((o) => o.tiles));
  }
  // Contiguous groups, as the tiling assigns them to workers.
  for (const [i, ranks] of [1, 2, 4].entries()) {
    const { tiling } = spiral(ranks);
    assertEquals(tilesSeen[i], Array.from({ length: ranks }, (_, r) => tilesOf(tiling, r)));
  }
});

Deno.test("MPI strip exchanges give the untiled overlap-add (sync) and every contribution once (async)", async () => {
  for (const ranks of [2, 4]) {
    for (const o of outcomes(await mpirun(ranks, scenario), ranks)) {
      assertEquals(o.syncMismatches, [0, 0, 0], `rank ${o.rank} of ${ranks}`);
      assertEquals(o.asyncMismatches, 0, `rank ${o.rank} of ${ranks}`);
    }
  }
});

Deno.test("an MPI rank that aborts ends every rank within 10 s, exit status 1, with one message", async () => {
  const launch = await mpirun(4, { ...scenario, abortRank: 2 });
  assertEquals(launch.code, 1, launch.stderr);
  assertLessOrEqual(launch.seconds, 10);
  const lines = launch.stderr.split("\n").filter((line) => line.startsWith("error: "));
  assertEquals(lines, ["error: Rank 2 (worker 0, tile 6) threw: a planned failure"], launch.stderr);
  assertEquals(launch.stdout, "");
});

Deno.test("an MPI rank killed while the others wait in a collective ends every rank within 10 s", async () => {
  const launch = await mpirun(4, { ...scenario, killRank: 1 });
  assertLessOrEqual(launch.seconds, 10);
  // mpirun reports the signal as its status (9), and its banner; no rank finished its work.
  assertEquals(launch.code, 9, launch.stderr);
  assert(launch.stdout.includes("Killed (signal 9)"), launch.stdout);
  assert(!launch.stdout.includes('"rank"'), launch.stdout);
});

Deno.test("an MPI library that cannot be loaded is named with its variable, exit status 2", async () => {
  const launch = await mpirun(1, scenario, { TESSERA_MPI_LIB: "/nowhere/libmpi.so.12" });
  assertEquals(launch.code, 2, launch.stderr);
  assert(
    launch.stderr.includes('Cannot load the MPI library "/nowhere/libmpi.so.12"'),
    launch.stderr,
  );
  assert(launch.stderr.includes("TESSERA_MPI_LIB"), launch.stderr);
});

Deno.test("an MPI rank whose socket to mpirun was closed before Deno started (npx) says to use -pmi-port, exit status 2", async () => {
  // What npm's node does to the descriptor hydra hands each rank.
  const closing = ["sh", "-c", 'eval "exec $PMI_FD<&-"; exec "$@"', "sh"];
  const launch = await mpirun(2, scenario, {}, closing);
  assertEquals(launch.code, 2, launch.stderr);
  assert(launch.stderr.includes("did not receive mpirun's socket (PMI_FD="), launch.stderr);
  assert(launch.stderr.includes("mpirun -pmi-port"), launch.stderr);
  assertEquals(launch.stdout, "");
});
