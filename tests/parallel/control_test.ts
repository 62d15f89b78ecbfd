import {
  PhaseProfile,
  type PhaseProfile as Profile,
  type ProfileSnapshot,
  type ProgressEvent,
  watchProfiles,
  WorkerPool,
} from "../../src/parallel/mod.ts";
import { assert, assertEquals } from "../assert.ts";

const job = new URL("./control_job.ts", import.meta.url);

Deno.test("commands reach every worker in order, sent before or after the start, and their progress comes back", async () => {
  const events: ProgressEvent[] = [];
  const pool = new WorkerPool<null, unknown[]>({
    workers: 3,
    job,
    payload: () => null,
    onProgress: (event) => events.push(event),
  });
  pool.command("early");
  const run = pool.run();
  pool.command({ step: 2 });
  pool.command("end");
  assertEquals(await run, [0, 1, 2].map(() => ["early", { step: 2 }]));
  for (const rank of [0, 1, 2]) {
    const mine = events.filter((e) => e.rank === rank);
    assertEquals(mine.map((e) => e.command), ["early", { step: 2 }]);
    assertEquals(mine.map((e) => e.total), [6, 6]);
  }
});

Deno.test("a profiled pool hands each worker's snapshot over just before the progress event it came with", async () => {
  const seen: string[] = [];
  const snapshots: ProfileSnapshot[] = [];
  const stop = watchProfiles((rank, snapshot) => {
    seen.push(`profile ${rank}`);
    snapshots.push(snapshot);
  });
  const pool = new WorkerPool<null, unknown[]>({
    workers: 2,
    job,
    payload: () => null,
    onProgress: (event) => seen.push(`event ${event.rank}`),
  });
  stop();
  pool.command("only");
  pool.command("end");
  await pool.run();
  for (const rank of [0, 1]) {
    const at = seen.indexOf(`event ${rank}`);
    assertEquals(seen[at - 1], `profile ${rank}`, seen.join(", "));
  }
  assertEquals(snapshots.length, 2);
  for (const s of snapshots) {
    assertEquals(Object.keys(s.phases).sort(), [
      "all-reduce wait",
      "exchange host",
      "mailbox wait",
      "readback",
      "strip write",
    ]);
    const inside = Object.values(s.phases).reduce((a, b) => a + b, 0);
    assert(s.otherMs >= 0 && s.otherMs + inside >= s.wallMs - 1e-6, JSON.stringify(s));
  }
});

Deno.test("a pool started without watchProfiles sends no profiles", async () => {
  const stop = watchProfiles(() => {
    throw new Error("A profile arrived from a pool started after watching stopped");
  });
  stop();
  let events = 0;
  const pool = new WorkerPool<null, unknown[]>({
    workers: 1,
    job,
    payload: () => null,
    onProgress: () => events++,
  });
  pool.command("only");
  pool.command("end");
  await pool.run();
  assertEquals(events, 1);
});

/** A fake clock that advances only when told to. */
function fakeClock(): { now: () => number; advance: (ms: number) => void } {
  let t = 1000;
  return { now: () => t, advance: (ms) => t += ms };
}

Deno.test("PhaseProfile counts overlapping intervals of a phase once, and the rest as other", async () => {
  const clock = fakeClock();
  const profile: Profile = new PhaseProfile(true, clock.now);
  clock.advance(5);
  let release!: () => void;
  const gate = new Promise<void>((resolve) => release = resolve);
  // Two tiles wait on readbacks at once: [5, 12) and [7, 15) overlap into 10 ms of readback.
  const first = profile.time("readback", () => gate);
  clock.advance(2);
  const second = profile.time("readback", async () => {
    await gate;
    clock.advance(3);
  });
  clock.advance(5);
  release();
  await first;
  await second;
  profile.timeSync("exchange host", () => clock.advance(4));
  clock.advance(1);
  const s = profile.snapshot();
  assertEquals(s.wallMs, 20);
  assertEquals(s.phases.readback, 10);
  assertEquals(s.phases["exchange host"], 4);
  assertEquals(s.phases["mailbox wait"], 0);
  assertEquals(s.otherMs, 6);
});

Deno.test("a disabled PhaseProfile runs the work and records nothing", async () => {
  const clock = fakeClock();
  const profile = new PhaseProfile(false, clock.now);
  assertEquals(profile.timeSync("strip write", () => (clock.advance(3), 7)), 7);
  assertEquals(await profile.time("readback", () => (clock.advance(2), Promise.resolve(8))), 8);
  const s = profile.snapshot();
  assertEquals(Object.values(s.phases), [0, 0, 0, 0, 0]);
  assertEquals(s.otherMs, 5);
});

Deno.test("a process that ran two pools one after the other exits by itself: the control channel does not keep it alive", async () => {
  const script = `
    import { WorkerPool } from ${
    JSON.stringify(new URL("../../src/parallel/mod.ts", import.meta.url).href)
  };
    for (let i = 0; i < 2; i++) {
      const events = [];
      const pool = new WorkerPool({
        workers: 2,
        job: new URL(${JSON.stringify(job.href)}),
        payload: () => null,
        onProgress: (event) => events.push(event.command),
      });
      const run = pool.run();
      pool.command("run " + i);
      pool.command("end");
      const got = await run;
      console.log(JSON.stringify([got, events]));
    }
  `;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["eval", script],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(60_000),
  });
  const { code, stdout, stderr } = await child.output();
  const err = new TextDecoder().decode(stderr);
  assertEquals(code, 0, `exit status ${code} (killed after 60 s if it hung): ${err}`);
  const lines = new TextDecoder().decode(stdout).trim().split("\n").map((l) => JSON.parse(l));
  assertEquals(lines, [0, 1].map((i) => [[[`run ${i}`], [`run ${i}`]], [`run ${i}`, `run ${i}`]]));
});
