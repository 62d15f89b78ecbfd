import type { IterationInfo, Snapshot } from "../../src/engine/reconstruct.ts";
import { isLoopback, parseServeAddress } from "../../src/serve/address.ts";
import { LiveView } from "../../src/serve/live_view.ts";
import type { TileFigures } from "../../src/io/tile_panel.ts";
import { assert, assertEquals, assertThrows } from "../assert.ts";
import { random } from "../io/_cxi_fixture.ts";

const TOKEN = "s3cret-token-42";

/** A live view on a free loopback port with what it logged and how often it was stopped. */
async function startView(token: string | null) {
  const logged: string[] = [];
  let stops = 0;
  const view = await LiveView.start({
    address: { hostname: "127.0.0.1", port: 0 },
    token,
    onStop: () => stops++,
    log: (line) => logged.push(line),
  });
  return { view, logged, stops: () => stops };
}

/** An iteration event whose snapshot is a random object and probe, counting its calls. */
function events(seed: number) {
  const rand = random(seed);
  let snapshots = 0;
  const snapshot = (): Promise<Snapshot> => {
    snapshots++;
    const complex = (n: number) => Float32Array.from({ length: 2 * n }, () => rand() - 0.5);
    return Promise.resolve({
      object: { shape: [1, 24, 20], data: complex(24 * 20) },
      probe: { shape: [1, 8, 8], data: complex(64) },
      pixelSize: 1e-8,
      tiles: null,
    });
  };
  const event = (iteration: number, seconds: number): IterationInfo => ({
    iteration,
    total: 10,
    cost: -1e6 * (1 + rand()),
    // The engine's "not known".
    rFactor: NaN,
    seconds,
    busy: 1,
    workers: 1,
    tiles: null,
    snapshot,
  });
  return { event, snapshots: () => snapshots };
}

/** Opens the event stream and returns a reader of its events. */
async function subscribe(url: string) {
  const response = await fetch(url);
  assertEquals(response.status, 200);
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  return {
    async next(): Promise<{ event: string; data: Record<string, unknown> }> {
      while (!buffer.includes("\n\n")) {
        const { value, done } = await reader.read();
        if (done) throw new Error("the event stream ended");
        buffer += value;
      }
      const end = buffer.indexOf("\n\n");
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = /^event: (.*)$/m.exec(block)![1];
      return { event, data: JSON.parse(/^data: (.*)$/m.exec(block)![1]) };
    },
    cancel: () => reader.cancel(),
  };
}

/** The status line's code of a GET / sent with the given Host header (fetch sets its own). */
async function statusWithHost(url: string, host: string): Promise<number> {
  const { hostname, port } = new URL(url);
  const connection = await Deno.connect({ hostname, port: Number(port) });
  try {
    const request = `GET / HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`;
    await connection.write(new TextEncoder().encode(request));
    const buffer = new Uint8Array(64);
    const n = await connection.read(buffer);
    return Number(/^HTTP\/1\.1 (\d{3})/.exec(new TextDecoder().decode(buffer.subarray(0, n!)))![1]);
  } finally {
    connection.close();
  }
}

Deno.test("parseServeAddress() reads PORT, HOST:PORT and [IPv6]:PORT and refuses the rest", () => {
  assertEquals(parseServeAddress("8765"), { hostname: "127.0.0.1", port: 8765 });
  assertEquals(parseServeAddress("0.0.0.0:9000"), { hostname: "0.0.0.0", port: 9000 });
  assertEquals(parseServeAddress("[::1]:80"), { hostname: "::1", port: 80 });
  for (const bad of ["", "0", "65536", "host:", ":80", "a b:1", "::1:80"]) {
    assertThrows(() => parseServeAddress(bad), RangeError);
  }
  assert(isLoopback("127.0.0.1") && isLoopback("127.4.5.6") && isLoopback("::1"), "loopback");
  assert(!isLoopback("0.0.0.0") && !isLoopback("192.168.1.2") && !isLoopback("::"), "not");
});

Deno.test("the live view answers 401 without its token or with a wrong one, and never logs it", async () => {
  const { view, logged } = await startView(TOKEN);
  try {
    for (const path of ["", "events", "phase.png"]) {
      const none = await fetch(`${view.url}${path}`);
      assertEquals(none.status, 401, path);
      await none.body?.cancel();
      const wrong = await fetch(`${view.url}${path}?token=s3cret-token-43`);
      assertEquals(wrong.status, 401, path);
      await wrong.body?.cancel();
      const bearer = await fetch(`${view.url}${path}`, {
        headers: { authorization: "Bearer s3cret-token-4" },
      });
      assertEquals(bearer.status, 401, path);
      await bearer.body?.cancel();
    }
    const stop = await fetch(`${view.url}stop`, { method: "POST" });
    assertEquals(stop.status, 401);
    await stop.body?.cancel();
    const page = await fetch(`${view.url}?token=${TOKEN}`);
    assertEquals(page.status, 200);
    assert((await page.text()).includes('id="stop"'), "the page");
    const bearer = await fetch(view.url, { headers: { authorization: `Bearer ${TOKEN}` } });
    assertEquals(bearer.status, 200);
    await bearer.body?.cancel();
    assert(logged.length > 0 && logged.every((line) => !line.includes(TOKEN)), logged.join("\n"));
  } finally {
    await view.close();
  }
});

Deno.test("the live view makes pictures only while a page is connected and within its budget", async () => {
  const { view } = await startView(null);
  const { event, snapshots } = events(3);
  try {
    await view.iteration(event(0, 0.5));
    await view.iteration(event(1, 0.5));
    assertEquals(snapshots(), 0, "no page, no readback");
    const stream = await subscribe(`${view.url}events`);
    const first = await stream.next();
    assertEquals(first.event, "iteration");
    assertEquals((first.data.last as { iteration: number }).iteration, 1);
    assertEquals(first.data.pictures, null);
    await view.iteration(event(2, 0.5));
    assertEquals(snapshots(), 1);
    const second = await stream.next();
    assertEquals(second.data.pictures, 2);
    assertEquals(String(second.data.plot).match(/<circle /g)?.length, 3);
    for (const name of ["phase", "amplitude", "probe"]) {
      const png = new Uint8Array(await (await fetch(`${view.url}${name}.png`)).arrayBuffer());
      assertEquals([...png.subarray(1, 4)], [80, 78, 71], `${name}.png is a PNG`);
    }
    // Iterations far shorter than a picture's cost: no new pictures until the budget allows.
    for (let i = 3; i < 6; i++) await view.iteration(event(i, 1e-7));
    assertEquals(snapshots(), 1, "over budget");
    await view.iteration(event(6, 1e3));
    assertEquals(snapshots(), 2, "within budget again");
    await stream.cancel();
  } finally {
    await view.close();
  }
});

Deno.test("the stop button stops the run once, and not from another origin or host", async () => {
  const { view, stops, logged } = await startView(null);
  try {
    const foreign = await fetch(`${view.url}stop`, {
      method: "POST",
      headers: { origin: "http://evil.example" },
    });
    assertEquals(foreign.status, 403);
    await foreign.body?.cancel();
    assertEquals(await statusWithHost(view.url, "evil.example"), 403);
    assertEquals(await statusWithHost(view.url, new URL(view.url).host), 200);
    assertEquals(stops(), 0);
    for (let i = 0; i < 2; i++) {
      const stop = await fetch(`${view.url}stop`, { method: "POST" });
      assertEquals(stop.status, 202);
      await stop.body?.cancel();
    }
    assertEquals(stops(), 1);
    assert(logged.some((line) => line.startsWith("Stop requested from the live view")), "logged");
  } finally {
    await view.close();
  }
});

Deno.test("the live view shows the R-factor and its plot when the engine reports one", async () => {
  const { view } = await startView(null);
  const { event } = events(9);
  try {
    const stream = await subscribe(`${view.url}events`);
    assertEquals((await stream.next()).data.rPlot, null, "no R-factor yet");
    const rand = random(10);
    const values = [0.3 + rand(), 0.2 + rand()];
    for (const [i, rFactor] of values.entries()) {
      await view.iteration({ ...event(i, 0.5), rFactor } as IterationInfo);
    }
    await stream.next();
    const state = (await stream.next()).data;
    assertEquals((state.last as { rFactor: number }).rFactor, values[1]);
    assertEquals(String(state.rPlot).match(/<circle /g)?.length, 2);
    await stream.cancel();
  } finally {
    await view.close();
  }
});

Deno.test("a tiled run's panel: residuals every iteration, the halo with the pictures, their mean busy fraction", async () => {
  const { view } = await startView(null);
  const { event } = events(12);
  const rand = random(13);
  const tiles = (iteration: number): TileFigures => ({
    transport: "workers",
    grid: [1, 2],
    objectShape: [24, 20],
    iteration,
    tiles: [0, 1].map((tile) => ({
      tile,
      core: { y0: 0, x0: 10 * tile, height: 24, width: 10 },
      worker: tile,
      rank: null,
      cost: -1e5 * rand(),
      rFactor: rand(),
      rShare: rand(),
    })),
    workers: [0, 1].map((worker) => ({ worker, rank: null, tiles: [worker], busy: rand() })),
    halo: null,
    haloIteration: null,
  });
  // What the engine's snapshot gives: the same iteration's figures with the halo measured.
  const withHalo = (f: TileFigures): TileFigures => ({
    ...f,
    halo: [{ tiles: [0, 1], band: { y0: 0, x0: 4, height: 24, width: 12 }, max: 0.25, rms: 0.125 }],
    haloIteration: f.iteration,
  });
  try {
    const stream = await subscribe(`${view.url}events`);
    assertEquals((await stream.next()).data.tiles, null, "no panel for one tile");
    const plain = event(0, 0.5);
    const first = tiles(0);
    await view.iteration({
      ...plain,
      tiles: first,
      snapshot: async () => ({ ...await plain.snapshot(), tiles: withHalo(first) }),
    });
    const shown = (await stream.next()).data.tiles as Record<string, unknown>;
    assertEquals(String(shown.grid).match(/<g class="tile"/g)?.length, 2);
    assert(String(shown.grid).includes('class="halo" data-tiles="0-1"'), "halo on the edge");
    assert(String(shown.grid).includes('<image href="phase.png"'), "over the phase picture");
    assert(String(shown.tables).includes("0.25"), "the halo's largest mismatch in the table");
    const mean = (first.workers[0].busy + first.workers[1].busy) / 2;
    assert(Math.abs((shown.busy as number) - mean) < 1e-12, `busy ${shown.busy} vs ${mean}`);
    await stream.cancel();
  } finally {
    await view.close();
  }
});
