/**
 * The live view's page: one HTML document with its style and script inline. It follows the
 * server's event stream (`/events`), shows the latest pictures (`/phase.png` ...), the plots the
 * server draws, and a stop button (`POST /stop`). The token of the page's own address goes with
 * every request it makes.
 */

const STYLE = `body{font-family:sans-serif;margin:1em 1.5em;color:#222;background:#fafafa}
header{display:flex;align-items:baseline;gap:1.5em;flex-wrap:wrap}
h1{font-size:1.3em;margin:.2em 0}h2{font-size:1.1em;margin:.4em 0}
#figures{display:flex;gap:1.5em;flex-wrap:wrap;margin:.8em 0;font-size:.95em}
#figures div b{display:block;font-size:1.25em}
.pictures{display:flex;gap:1em;flex-wrap:wrap}
figure{margin:0}figure img{width:300px;image-rendering:pixelated;border:1px solid #ccc;
background:#eee;min-height:100px}
figcaption{font-size:.85em;color:#555}
#plots{display:flex;gap:1em;flex-wrap:wrap;margin-top:1em}
button{font-size:1em;padding:.4em 1em;background:#b3261e;color:white;border:0;border-radius:4px;
cursor:pointer}button:disabled{background:#999;cursor:default}
#tiles{margin-top:1em}#tiles[hidden]{display:none}
#tiles .panel{display:flex;gap:1.5em;flex-wrap:wrap;align-items:flex-start}
#tiles table{border-collapse:collapse;font-size:.85em;margin-bottom:.6em}
#tiles th,#tiles td{padding:.1em .6em;text-align:right;border-bottom:1px solid #e4e4e4}
#tiles-caption{font-size:.85em;color:#555;max-width:60em}
#status{font-weight:600}#log{font-family:monospace;font-size:.8em;color:#444;white-space:pre-wrap;
max-height:8em;overflow:auto}`;

const SCRIPT = `
const token = new URLSearchParams(location.search).get("token");
const withToken = (path) => token ? path + (path.includes("?") ? "&" : "?") + "token=" +
  encodeURIComponent(token) : path;
const $ = (id) => document.getElementById(id);
const seconds = (s) => {
  s = Math.max(0, Math.round(s));
  if (s < 60) return s + " s";
  if (s < 3600) return Math.floor(s / 60) + " min " + String(s % 60).padStart(2, "0") + " s";
  return Math.floor(s / 3600) + " h " + String(Math.floor(s % 3600 / 60)).padStart(2, "0") + " min";
};
let shownPictures = null;
function show(state) {
  const last = state.last;
  if (last) {
    const done = last.iteration + 1;
    $("iteration").textContent = done + " / " + last.total;
    $("iteration").dataset.iteration = String(done);
    $("cost").textContent = last.cost.toExponential(4);
    $("r-factor").textContent = last.rFactor === null ? "-" : last.rFactor.toFixed(4);
    $("speed").textContent = state.secondsPerIteration.toFixed(2) + " s";
    $("left").textContent = seconds(state.secondsLeft);
    // A tiled run measures how busy its workers were; otherwise count those that computed.
    $("workers").textContent = state.tiles
      ? last.workers + " at " + Math.round(100 * state.tiles.busy) + " %"
      : last.busy + " / " + last.workers + " (" + Math.round(100 * last.busy / last.workers) + " %)";
  }
  if (state.tiles) {
    $("tiles").hidden = false;
    $("tile-grid").innerHTML = state.tiles.grid;
    const background = $("tile-grid").querySelector("image");
    if (background) {
      background.setAttribute("href", withToken("/phase.png?iteration=" + state.pictures));
    }
    $("tile-tables").innerHTML = state.tiles.tables;
    $("tiles-caption").textContent = state.tiles.caption;
  }
  $("plot").innerHTML = state.plot;
  $("r-plot").innerHTML = state.rPlot ?? "";
  if (state.pictures !== null && state.pictures !== shownPictures) {
    shownPictures = state.pictures;
    for (const name of ["phase", "amplitude", "probe"]) {
      $(name).src = withToken("/" + name + ".png?iteration=" + state.pictures);
    }
    $("pictures-iteration").textContent = String(state.pictures + 1);
  }
  if (state.status === "stopping") {
    $("status").textContent = "stopping after this iteration";
    $("stop").disabled = true;
  }
  if (state.status === "done") {
    $("stop").disabled = true;
    $("status").textContent = state.done.interrupted
      ? "stopped; checkpoint and results in " + state.done.out
      : "finished; results in " + state.done.out;
  }
}
const events = new EventSource(withToken("/events"));
events.addEventListener("iteration", (e) => show(JSON.parse(e.data)));
events.addEventListener("done", (e) => { show(JSON.parse(e.data)); events.close(); });
events.addEventListener("log", (e) => {
  $("log").textContent += JSON.parse(e.data).line + "\\n";
});
events.onerror = () => {
  if ($("status").textContent === "running") $("status").textContent = "connection lost";
};
$("stop").addEventListener("click", async () => {
  $("stop").disabled = true;
  const response = await fetch(withToken("/stop"), { method: "POST" });
  $("status").textContent = response.ok ? "stopping after this iteration" : "stop refused";
});
`;

/** The live page's HTML. */
export function livePage(): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Tessera live view</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>Tessera live view</h1>
<span id="status">running</span>
<button id="stop" type="button">Stop and save</button>
</header>
<section id="figures">
<div>iteration<b id="iteration" data-iteration="0">-</b></div>
<div>cost<b id="cost">-</b></div>
<div>R-factor<b id="r-factor">-</b></div>
<div>per iteration<b id="speed">-</b></div>
<div>time left<b id="left">-</b></div>
<div>workers busy<b id="workers">-</b></div>
<div>pictures of iteration<b id="pictures-iteration">-</b></div>
</section>
<section class="pictures">
<figure><img id="phase" alt="object phase"><figcaption>object phase</figcaption></figure>
<figure><img id="amplitude" alt="object amplitude"><figcaption>object amplitude</figcaption>
</figure>
<figure><img id="probe" alt="probe modes"><figcaption>probe modes (hue: phase)</figcaption>
</figure>
</section>
<section id="tiles" hidden><h2>Tiles</h2><div class="panel"><div id="tile-grid"></div>
<div id="tile-tables"></div></div><p id="tiles-caption"></p></section>
<section id="plots"><div id="plot"></div><div id="r-plot"></div></section>
<div id="log"></div>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
