// cinescribe review page, the describer's desk: style findings and the writer's candidates beside
// each AD. review.js calls deskItem() for every AD it builds and showStyle() after each re-check.
"use strict";

function showStyle(li, findings) {
  const ul = li.querySelector(".style");
  const list = findings || [];
  ul.replaceChildren(...list.map((f) => {
    const item = document.createElement("li");
    item.className = f.severity;
    const words = f.words && f.words.length ? ` (“${f.words.join("”, “")}”)` : "";
    item.textContent = `${f.severity === "error" ? "Style error" : "Style warning"}: ${f.message}${words}`;
    return item;
  }));
  const summary = li.querySelector(".style-summary");
  const errors = list.filter((f) => f.severity === "error").length;
  summary.textContent = list.length ? `Style: ${errors} errors, ${list.length - errors} warnings.` : "Style: no findings.";
}

function pickCandidate(li, number) {
  const radio = li.querySelector(`.candidates input[value="${Number(number)}"]`);
  if (!radio) return false;
  radio.checked = true;
  radio.dispatchEvent(new Event("change", {bubbles: true}));
  return true;
}

function deskItem(li, d, position) {
  const id = li.id;
  li.querySelector(".style-summary").id = `${id}-style-summary`;
  showStyle(li, d.style);
  const box = li.querySelector(".candidates");
  const options = d.candidates || [];
  if (options.length < 2) return;
  box.hidden = false;
  li.querySelector(".candidates-legend").textContent =
    `Candidates for description ${position} (arrow keys choose; Alt+1 to Alt+${options.length} from the text)`;
  const rows = options.map((c, n) => {
    const label = document.createElement("label");
    const radio = document.createElement("input");
    radio.type = "radio";
    radio.name = `${id}-candidate`;
    radio.value = String(n);
    radio.checked = c.text === d.text;
    const text = document.createElement("span");
    text.textContent = `${n + 1}. ${c.text}`;
    label.append(radio, " ", text);
    return label;
  });
  box.querySelector(".candidate-list").replaceChildren(...rows);
  box.addEventListener("change", (ev) => {
    const n = Number(ev.target.value);
    const field = li.querySelector(".text");
    field.value = options[n].text;
    li.dataset.candidate = String(n);
    field.dispatchEvent(new Event("input", {bubbles: true}));
  });
}

function candidateOf(li, text) {
  const n = li.dataset.candidate;
  if (n === undefined) return undefined;
  const label = li.querySelector(`.candidates input[value="${Number(n)}"]`);
  const chosen = label ? label.parentElement.querySelector("span").textContent.replace(/^\d+\. /, "") : null;
  return chosen === text.split(/\s+/).filter(Boolean).join(" ") ? Number(n) : undefined;
}

// Key-frame thumbnails beside an AD: the frames its facts were measured on.
function deskThumbs(li, d, position) {
  const box = li.querySelector(".thumbs");
  const times = d.keyframes || [];
  box.replaceChildren(...times.map((t) => {
    const img = document.createElement("img");
    img.src = `/media/frame?t=${Number(t).toFixed(3)}`;
    img.alt = `Key frame of description ${position} at ${clock(t)}`;
    img.loading = "lazy";
    img.width = 128;
    return img;
  }));
  box.hidden = times.length === 0;
}

// The timeline strip: rows of dialogue, shots and descriptions; a segment seeks on click, and the
// strip is one tab stop: Left/Right move along a row, Up/Down to the segment of the next row at the
// same time (or the nearest),
// Home/End to a row's ends, Enter or Space seeks.
function renderTimeline(doc, seek) {
  const strip = document.querySelector("#timeline");
  const duration = Number(doc.video.duration) || 1;
  const rows = [
    ["Dialogue", doc.timeline.dialogue.map((iv, n) => [iv.start, iv.end, `Dialogue ${n + 1}`])],
    ["Shots", doc.timeline.shots.map((iv, n) => [iv.start, iv.end, `Shot ${n + 1}`])],
    ["Descriptions", doc.descriptions.map((d, n) => [d.start, d.end, `Description ${n + 1}${d.text ? `: ${d.text}` : " (empty)"}`])],
  ];
  const made = rows.map(([name, segments]) => {
    const row = document.createElement("div");
    row.className = "tl-row";
    row.setAttribute("role", "group");
    row.setAttribute("aria-label", `${name}: ${segments.length}`);
    const head = document.createElement("span");
    head.className = "tl-name";
    head.textContent = name;
    head.setAttribute("aria-hidden", "true");
    const lane = document.createElement("div");
    lane.className = "tl-lane";
    lane.append(...segments.map(([start, end, label]) => {
      const b = document.createElement("button");
      b.type = "button";
      b.className = `tl-seg tl-${name.toLowerCase()}`;
      b.tabIndex = -1;
      b.dataset.start = String(start);
      b.dataset.end = String(end);
      b.style.left = `${(100 * start) / duration}%`;
      b.style.width = `${Math.max(0.4, (100 * (end - start)) / duration)}%`;
      b.setAttribute("aria-label", `${label}, ${clock(start)} to ${clock(end)}`);
      b.addEventListener("click", () => seek(Number(start), b.getAttribute("aria-label")));
      return b;
    }));
    row.append(head, lane);
    return row;
  });
  const head = document.createElement("div");
  head.className = "tl-playhead";
  head.setAttribute("aria-hidden", "true");
  strip.replaceChildren(...made, head);
  const first = strip.querySelector(".tl-seg");
  if (first) first.tabIndex = 0;
  strip.onkeydown = (ev) => timelineKey(strip, ev);
}

function timelineKey(strip, ev) {
  const current = ev.target.closest(".tl-seg");
  if (!current) return;
  const lane = current.parentElement;
  const segs = [...lane.children];
  const lanes = [...strip.querySelectorAll(".tl-lane")].filter((l) => l.children.length);
  let next = null;
  if (ev.key === "ArrowRight") next = segs[segs.indexOf(current) + 1];
  else if (ev.key === "ArrowLeft") next = segs[segs.indexOf(current) - 1];
  else if (ev.key === "Home") next = segs[0];
  else if (ev.key === "End") next = segs[segs.length - 1];
  else if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
    const other = lanes[lanes.indexOf(lane) + (ev.key === "ArrowDown" ? 1 : -1)];
    if (other) {
      const t = Number(current.dataset.start);
      const segsThere = [...other.children];
      next = segsThere.find((b) => Number(b.dataset.start) <= t && t < Number(b.dataset.end)) ||
        segsThere.reduce((a, b) => Math.abs(Number(b.dataset.start) - t) < Math.abs(Number(a.dataset.start) - t) ? b : a);
    }
  } else return;
  ev.preventDefault();
  if (!next) return;
  current.tabIndex = -1;
  next.tabIndex = 0;
  next.focus();
}

function moveTimeline(t) {
  const head = document.querySelector("#timeline .tl-playhead");
  const duration = state ? Number(state.doc.video.duration) || 1 : 1;
  if (head) head.style.left = `calc(7.5em + (100% - 7.5em) * ${Math.min(1, t / duration)})`;
}
