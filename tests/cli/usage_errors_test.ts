import { assert, assertEquals } from "../assert.ts";
import { runTessera } from "./run.ts";

/** The last line of stderr: the one line a usage error must say clearly. */
function lastLine(text: string): string {
  const lines = text.trimEnd().split("\n");
  return lines[lines.length - 1];
}

const cases: Array<{ args: string[]; error: RegExp; help?: RegExp }> = [
  {
    args: ["reconstruct", "--tiles", "0x2"],
    error: /^error: option '--tiles <RxC>' argument '0x2' is invalid\. Expected rows x columns/,
    help: /--tiles <RxC>\s+tile grid over the object \(default: 1x1\)/,
  },
  {
    args: ["reconstruct", "--iterations", "-1"],
    error: /^error: option '-n, --iterations <N>' argument '-1' is invalid\. Expected an integer/,
    help: /--iterations <N>\s+iterations to run/,
  },
  {
    args: ["reconstruct", "--workers", "two"],
    error: /^error: option '--workers <N>' argument 'two' is invalid/,
  },
  {
    args: ["reconstruct", "--algorithm", "sgd"],
    error:
      /^error: .*'sgd' is invalid\. Allowed choices are cg, gd, lsqml, epie, rpie, dm, raar\.$/,
  },
  {
    args: ["reconstruct", "--memory-budget", "lots"],
    error: /^error: .*'lots' is invalid\. Expected a positive byte count/,
  },
  {
    args: ["reconstruct", "--algorithm", "raar", "--raar-beta", "1.5"],
    error: /^error: option '--raar-beta <BETA>' argument '1.5' is invalid\. Expected a number > 0/,
  },
  { args: ["reconstruct", "--frobnicate"], error: /^error: unknown option '--frobnicate'$/ },
  {
    args: ["reconstruct", "--algorithm", "epie", "--correct-positions-from", "2"],
    error:
      /^error: option '--correct-positions-from' works with --algorithm cg, gd and lsqml, not epie /,
    help: /--correct-positions-from <N>\s+first iteration that also refines the scan positions/,
  },
  {
    args: ["simulate", "--preset", "siemens", "--out", "x.cxi", "--position-error", "-1"],
    error:
      /^error: option '--position-error <PX>' argument '-1' is invalid\. Expected a number >= 0\.$/,
  },
  { args: ["simulate", "--out", "x.cxi"], error: /^error: required option '--preset <NAME>'/ },
  { args: ["inspect"], error: /^error: missing required argument 'FILE'$/ },
  { args: ["unmix"], error: /^error: unknown command 'unmix'$/ },
  {
    args: ["reconstruct", "--resume", "out/x", "--algorithm", "gd"],
    error: /^error: option '--algorithm' cannot be combined with --resume: a resumed run keeps/,
  },
];

for (const c of cases) {
  Deno.test(`"${c.args.join(" ")}" exits 2 with one clear error line and no stack trace`, async () => {
    const run = await runTessera(c.args);
    assertEquals(run.code, 2, run.stderr);
    assertEquals(run.stdout, "");
    assert(c.error.test(lastLine(run.stderr)), `unexpected error line: ${lastLine(run.stderr)}`);
    assert(run.stderr.startsWith("Usage: tessera"), `no usage line:\n${run.stderr}`);
    if (c.help) assert(c.help.test(run.stderr), `the option's help is missing:\n${run.stderr}`);
    assert(!/\n\s+at /.test(run.stderr), `a stack trace was printed:\n${run.stderr}`);
  });
}

Deno.test("a missing input file exits 2 with one paragraph naming the file", async () => {
  const run = await runTessera(["reconstruct", "--input", "no/such/scan.cxi", "--quiet"]);
  assertEquals(run.code, 2, run.stderr);
  assertEquals(run.stderr, "error: Cannot read no/such/scan.cxi: the file does not exist.\n");
});

Deno.test("dm under a memory budget exits 2 with one paragraph naming the option, writing nothing", async () => {
  const out = `${await Deno.makeTempDir()}/run`;
  const run = await runTessera([
    "reconstruct",
    "--algorithm",
    "dm",
    "--memory-budget",
    "10MB",
    "--iterations",
    "1",
    "--quiet",
    "--out",
    out,
  ]);
  assertEquals(run.code, 2, run.stderr);
  assert(
    /^error: --algorithm dm keeps every position's exit wave on the device .* drop --memory-budget/
      .test(run.stderr),
    run.stderr,
  );
  assert(!/\n\s+at /.test(run.stderr), `a stack trace was printed:\n${run.stderr}`);
  const written = await Deno.stat(out).then(() => true, () => false);
  assert(!written, `${out} was created`);
});

Deno.test("bench without a known name exits 2 through the dispatcher", async () => {
  const bench = new URL("../../tasks/bench.ts", import.meta.url);
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", bench.pathname, "nonesuch"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(output.stderr);
  assertEquals(output.code, 2, stderr);
  assert(/unknown benchmark "nonesuch"/.test(stderr), stderr);
});

Deno.test("--resume of a directory without a checkpoint exits 2 naming what it looked for", async () => {
  const dir = await Deno.makeTempDir();
  const run = await runTessera(["reconstruct", "--resume", dir, "--iterations", "80"]);
  assertEquals(run.code, 2, run.stderr);
  assert(
    run.stderr.startsWith(`error: Cannot resume from ${dir}: there is no checkpoint in it`),
    run.stderr,
  );
  await Deno.remove(dir);
});

Deno.test("reconstruct of 100 x 100 frames (a real beamline file) exits 2 asking for powers of two", async () => {
  const file = "tests/data/PETRAIII_P25_Near_Field_Ptycho.cxi";
  const dir = await Deno.makeTempDir();
  const run = await runTessera(["reconstruct", "-i", file, "-o", `${dir}/p25`, "--quiet"]);
  assertEquals(run.code, 2, run.stderr);
  assert(
    run.stderr.startsWith(`error: Cannot reconstruct ${file}: its frames are 100 x 100 pixels`),
    run.stderr,
  );
  await Deno.remove(dir, { recursive: true });
});
