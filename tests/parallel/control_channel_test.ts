import { type ProgressEvent, WorkerFailedError, WorkerPool } from "../../src/parallel/mod.ts";
import { Inbox, Overdue } from "../../src/parallel/control.ts";
import { assert, assertEquals, assertRejects } from "../assert.ts";

const job = new URL("./control_job.ts", import.meta.url);

/** A pool of the control job whose progress events land in `events`. */
function echoPool(workers: number, events: ProgressEvent[]): WorkerPool<null, unknown[]> {
  return new WorkerPool<null, unknown[]>({
    workers,
    job,
    payload: () => null,
    describe: (rank) => `share ${rank}`,
    onProgress: (event) => events.push(event),
  });
}

/** The commands each rank echoed, in the order its events arrived. */
function echoes(events: ProgressEvent[], workers: number): unknown[][] {
  return Array.from(
    { length: workers },
    (_, rank) => events.filter((e) => e.rank === rank).map((e) => e.command),
  );
}

Deno.test("two pools running at once in one process see only their own commands and progress", async () => {
  const eventsA: ProgressEvent[] = [];
  const eventsB: ProgressEvent[] = [];
  const a = echoPool(2, eventsA);
  const b = echoPool(3, eventsB);
  const runs = [a.run(), b.run()];
  const sentA = ["a0", "a1", "a2"];
  const sentB = ["b0", "b1"];
  for (const [i, command] of sentA.entries()) {
    a.command(command);
    if (i < sentB.length) b.command(sentB[i]);
  }
  // Let both pools' workers listen, then send more to each.
  await new Promise((resolve) => setTimeout(resolve, 200));
  a.command("a3");
  b.command("b2");
  a.command("end");
  b.command("end");
  const [gotA, gotB] = await Promise.all(runs);
  assertEquals(gotA, [0, 1].map(() => [...sentA, "a3"]));
  assertEquals(gotB, [0, 1, 2].map(() => [...sentB, "b2"]));
  assertEquals(echoes(eventsA, 2), gotA);
  assertEquals(echoes(eventsB, 3), gotB);
});

Deno.test("a pool run after another has finished, in the same process, gets its commands and progress", async () => {
  for (const round of [1, 2, 3]) {
    const events: ProgressEvent[] = [];
    const pool = echoPool(2, events);
    const run = pool.run();
    pool.command(`round ${round}`);
    pool.command("end");
    assertEquals(await run, [[`round ${round}`], [`round ${round}`]]);
    assertEquals(echoes(events, 2), [[`round ${round}`], [`round ${round}`]]);
  }
});

Deno.test("forty commands sent right after run() starts, before any worker listens, all arrive in order", async () => {
  const events: ProgressEvent[] = [];
  const pool = echoPool(3, events);
  const run = pool.run();
  const sent = Array.from({ length: 40 }, (_, i) => ({ step: i }));
  for (const command of sent) pool.command(command);
  pool.command("end");
  assertEquals(await run, [0, 1, 2].map(() => sent));
  assertEquals(echoes(events, 3), [0, 1, 2].map(() => sent));
});

Deno.test("requestStop reaches every worker between the commands around it, sent before or after they listen", async () => {
  for (const early of [true, false]) {
    const events: ProgressEvent[] = [];
    const pool = echoPool(2, events);
    const run = pool.run();
    if (!early) await new Promise((resolve) => setTimeout(resolve, 200));
    pool.command({ untilStop: true });
    pool.requestStop();
    pool.command("after stop");
    pool.command("end");
    const sent = [{ untilStop: true }, "after stop"];
    assertEquals(await run, [sent, sent]);
    assertEquals(echoes(events, 2), [sent, sent]);
  }
});

Deno.test("reports carry their arrays and arrive in order with the same worker's progress events", async () => {
  const events: ProgressEvent[] = [];
  const pool = echoPool(2, events);
  const run = pool.run();
  const sent = ["first", { report: 200_000 }, "second", "third", { report: 3 }, "fourth"];
  for (const command of sent) pool.command(command);
  pool.command("end");
  await run;
  assertEquals(echoes(events, 2), [sent, sent]);
  for (const e of events.filter((e) => e.data !== undefined)) {
    const data = e.data as Float64Array;
    const { report } = e.command as { report: number };
    assertEquals(data.length, report);
    assert(data.every((v, i) => v === i + e.rank), `rank ${e.rank}: wrong data`);
  }
});

Deno.test("a worker that missed control messages the channel dropped fails the run naming it", async () => {
  const holder: { pool?: WorkerPool<null, unknown[]> } = {};
  const pool = new WorkerPool<null, unknown[]>({
    workers: 1,
    job,
    payload: () => null,
    describe: () => "the only share",
    onProgress: (event) => {
      // The worker is spinning: these pile up past what the channel keeps for it.
      if (event.type === "busy") { for (let i = 0; i < 400; i++) holder.pool!.command(i); }
    },
  });
  holder.pool = pool;
  const run = pool.run();
  pool.command({ busy: 1000 });
  const error = await assertRejects(() => run, WorkerFailedError);
  assertEquals(error.rank, 0);
  assert(
    /^Worker 0 \(the only share\) threw: missed \d+ control messages on the control channel/
      .test(error.message),
    error.message,
  );
});

Deno.test("progress events the channel dropped fail the run naming the worker", async () => {
  const events: ProgressEvent[] = [];
  const pool = echoPool(1, events);
  const run = pool.run();
  pool.command({ flood: 2000 });
  pool.command("end");
  const error = await assertRejects(() => run, WorkerFailedError);
  assertEquals(error.rank, 0);
  assert(/^Worker 0 \(share 0\) lost \d+ progress events/.test(error.message), error.message);
  assert(events.length < 2000, `${events.length} events arrived`);
});

Deno.test("Inbox delivers one worker's events in the order it sent them, whichever stream brings them first", () => {
  const inbox = new Inbox();
  const seen: string[] = [];
  // Sent: c0 (channel), p1 (port), c2, c3, p4, c5, done6 (port).
  assertEquals(inbox.fromChannel(0, 0, () => seen.push("c0")), true);
  inbox.fromPort(1, () => seen.push("p1"));
  assertEquals(seen, ["c0", "p1"]);
  // The channel outruns the port: c2, c3 and c5 arrive before p4 (the race seen on CI).
  assertEquals(inbox.fromChannel(1, 2, () => seen.push("c2")), true);
  assertEquals(inbox.fromChannel(2, 3, () => seen.push("c3")), true);
  assertEquals(inbox.fromChannel(3, 5, () => seen.push("c5")), true);
  assertEquals(seen, ["c0", "p1", "c2", "c3"]);
  assertEquals(inbox.waiting, true);
  inbox.fromPort(4, () => seen.push("p4"));
  assertEquals(seen, ["c0", "p1", "c2", "c3", "p4", "c5"]);
  assertEquals(inbox.waiting, false);
  // The port outruns the channel: the last word waits for the channel message sent before it.
  inbox.fromPort(7, () => seen.push("done7"));
  assertEquals(inbox.waiting, true);
  assertEquals(inbox.fromChannel(4, 6, () => seen.push("c6")), true);
  assertEquals(seen.slice(-2), ["c6", "done7"]);
  assertEquals(inbox.arrived, 8);
  // A channel message whose predecessor on the channel never came is refused.
  assertEquals(inbox.fromChannel(6, 9, () => seen.push("c9")), false);
  assertEquals(inbox.received, 5);
  assertEquals(seen.length, 8);
});

Deno.test("Overdue calls a missing message lost only after 20 ticks and 5 s without any arriving", () => {
  const overdue = new Overdue();
  assertEquals(overdue.lost(false, 0, 0), false);
  // Missing for 19 ticks spread over 10 s: not yet (a thread that was blocked, then ticks).
  for (let tick = 1; tick <= 19; tick++) assertEquals(overdue.lost(true, 0, tick * 500), false);
  // A message arrives: the count starts again.
  assertEquals(overdue.lost(true, 1, 10_000), false);
  for (let tick = 1; tick < 20; tick++) assertEquals(overdue.lost(true, 1, 10_000 + tick), false);
  // 20 ticks but within 5 s: still late, not lost.
  assertEquals(overdue.lost(true, 1, 10_020), false);
  assertEquals(overdue.lost(true, 1, 15_000), true);
  // Nothing missing resets it.
  assertEquals(overdue.lost(false, 1, 15_100), false);
  assertEquals(overdue.lost(true, 1, 30_000), false);
});
