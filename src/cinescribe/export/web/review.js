// cinescribe review page: plain JS, same-origin API, user text only ever set with textContent / value.
"use strict";

const $ = (sel, root = document) => root.querySelector(sel);
const video = $("#video");
const adAudio = $("#ad-audio");
const nowRegion = $("#now");
const list = $("#ads");
let state = null;
let currentIndex = null;
let lastSpoken = null;

function clock(t) {
  const ms = Math.max(0, Math.round(t * 1000));
  const h = Math.floor(ms / 3600000), m = Math.floor(ms / 60000) % 60, s = (ms % 60000) / 1000;
  return `${String(h).padStart(2, "0")}:${String(m).padStart(2, "0")}:${s.toFixed(2).padStart(5, "0")}`;
}

function words(text) {
  const t = text.trim();
  return t ? t.split(/\s+/).length : 0;
}

async function api(path, body) {
  const opts = body === undefined ? {} : {
    method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body),
  };
  let response;
  try {
    response = await fetch(path, opts);
  } catch (err) {
    return {ok: false, status: 0, data: {error: "the review server is not reachable; is `cinescribe serve` still running?"}};
  }
  const data = await response.json().catch(() => ({error: response.statusText}));
  return {ok: response.ok, status: response.status, data};
}

function setStatus(el, text) {
  el.textContent = text;
}

function itemOf(index) {
  return list.querySelector(`li[data-index="${Number(index)}"]`);
}

function descriptions() {
  return state ? state.doc.descriptions : [];
}

function budgetFor(start, end) {
  return Math.floor((end - start) * state.words_per_second + 1e-9);
}

function readEdit(li) {
  return {
    index: Number(li.dataset.index),
    text: $(".text", li).value,
    start: Number($(".start", li).value),
    end: Number($(".end", li).value),
  };
}

function showErrors(li, errors) {
  const ul = $(".errors", li);
  ul.replaceChildren(...errors.map((e) => {
    const item = document.createElement("li");
    item.textContent = e;
    return item;
  }));
  const invalid = errors.length > 0;
  for (const field of li.querySelectorAll("textarea, input")) field.setAttribute("aria-invalid", String(invalid));
  li.classList.toggle("invalid", invalid);
}

function updateBudget(li) {
  const e = readEdit(li);
  const budget = budgetFor(e.start, e.end);
  const n = words(e.text);
  const p = $(".budget", li);
  p.textContent = `${n} of ${budget} words (${(e.end - e.start).toFixed(2)} s at ${state.words_per_second} words per second)`;
  p.classList.toggle("over", n > budget);
}

function titleOf(d, position) {
  return `Description ${position}: ${clock(d.start)} to ${clock(d.end)}${d.text ? "" : " (empty slot)"}${d.extended ? `, extended: the video pauses ${Number(d.pause_s)} s` : ""}${d.edited ? ", edited" : ""}`;
}

function fitText(index) {
  const report = state.report;
  const s = report && report.speech ? report.speech.find((x) => x.index === index) : null;
  if (!s) return "Not voiced yet: re-export to hear it.";
  const how = {fits: "fits at normal speed", faster: `spoken faster (rate ${s.rate})`,
               shortened: `shortened to fit: “${s.spoken_text}”`, skipped: "too long to voice even when faster and shortened"}[s.status] || s.status;
  return `Last export: ${how}; ${s.speech_s} s of speech in a ${s.window_s} s window.`;
}

function factRows(d) {
  const used = new Set(d.facts.map((f) => f.key));
  const all = [...d.facts, ...d.considered_facts.filter((f) => !used.has(f.key))];
  return all.map((f) => {
    const tr = document.createElement("tr");
    const cells = [used.has(f.key) ? "yes" : "no", f.kind, String(f.value), Number(f.salience).toFixed(2),
                   JSON.stringify(f.evidence)];
    for (const text of cells) {
      const td = document.createElement("td");
      td.textContent = text;
      tr.append(td);
    }
    return tr;
  });
}

function buildItem(d, position) {
  const li = $("#ad-template").content.firstElementChild.cloneNode(true);
  const id = `ad-${d.index}`;
  li.dataset.index = String(d.index);
  li.id = id;
  const title = $(".ad-title", li);
  title.id = `${id}-title`;
  title.textContent = titleOf(d, position);
  $("article", li).setAttribute("aria-labelledby", title.id);
  for (const [cls, label] of [["text", "text-label"], ["start", "start-label"], ["end", "end-label"]]) {
    const field = $(`.${cls}`, li);
    field.id = `${id}-${cls}`;
    $(`.${label}`, li).htmlFor = field.id;
  }
  $(".text-label", li).textContent = `Text of description ${position}`;
  $(".start-label", li).textContent = `Start of description ${position} (seconds)`;
  $(".end-label", li).textContent = `End of description ${position} (seconds)`;
  $(".budget", li).id = `${id}-budget`;
  $(".errors", li).id = `${id}-errors`;
  for (const field of li.querySelectorAll("textarea, input")) {
    field.setAttribute("aria-describedby", `${id}-budget ${id}-errors ${id}-style-summary`);
  }
  $(".text", li).value = d.text;
  $(".start", li).value = String(d.start);
  $(".end", li).value = String(d.end);
  $(".save", li).setAttribute("aria-label", `Save description ${position}`);
  $(".play", li).setAttribute("aria-label", `Play from description ${position}`);
  $(".fit", li).textContent = fitText(d.index);
  $(".facts tbody", li).replaceChildren(...factRows(d));
  updateBudget(li);
  let timer = null;
  li.addEventListener("input", () => {
    updateBudget(li);
    setStatus($(".saved", li), "");
    clearTimeout(timer);
    timer = setTimeout(() => validate(li), 350);
  });
  $(".ad-form", li).addEventListener("submit", (ev) => {
    ev.preventDefault();
    save(li);
  });
  $(".play", li).addEventListener("click", () => playFrom(d.index));
  deskItem(li, d, position);
  deskThumbs(li, d, position);
  return li;
}

async function validate(li) {
  const {ok, data} = await api("/api/validate", readEdit(li));
  showErrors(li, ok ? data.errors : [data.error]);
  if (ok) showStyle(li, data.style);
}

async function save(li) {
  const edit = readEdit(li);
  const candidate = candidateOf(li, edit.text);
  if (candidate !== undefined) edit.candidate = candidate;
  const saved = $(".saved", li);
  setStatus(saved, "Saving…");
  saved.classList.remove("bad");
  const {ok, status, data} = await api("/api/save", {revision: state.revision, edits: [edit]});
  if (ok) {
    state.revision = data.revision;
    const d = descriptions().find((x) => x.index === edit.index);
    Object.assign(d, {text: edit.text.split(/\s+/).filter(Boolean).join(" "), start: edit.start, end: edit.end, edited: true});
    $(".ad-title", li).textContent = titleOf(d, [...list.children].indexOf(li) + 1);
    showErrors(li, []);
    setStatus(saved, `Saved. The previous version is in ${data.backup.split("/").pop()}.`);
    reloadTrack();
  } else if (status === 422 && data.errors) {
    showErrors(li, data.errors[String(edit.index)] || Object.values(data.errors).flat());
    setStatus(saved, "Not saved: fix the problems listed above.");
    saved.classList.add("bad");
  } else {
    setStatus(saved, `Not saved: ${data.error}`);
    saved.classList.add("bad");
  }
}

function reloadTrack() {
  const old = $("#ad-track");
  const track = document.createElement("track");
  track.id = "ad-track";
  track.kind = "descriptions";
  track.label = "Audio description";
  track.srclang = "en";
  track.src = `/media/ad.vtt?rev=${encodeURIComponent(state.revision)}`;
  old.replaceWith(track);
  watchTrack(track);
}

function currentText(cue) {
  const index = Number(String(cue.id).replace("ad-", ""));
  const li = itemOf(index);
  return {index, text: li ? $(".text", li).value : cue.text};
}

function watchTrack(trackEl) {
  const track = trackEl.track;
  track.mode = "hidden";
  track.addEventListener("cuechange", () => {
    const cue = track.activeCues && track.activeCues.length ? track.activeCues[0] : null;
    if (!cue) {
      nowRegion.textContent = "(none)";
      currentIndex = null;
      for (const li of list.querySelectorAll(".playing")) li.classList.remove("playing");
      return;
    }
    const {index, text} = currentText(cue);
    currentIndex = index;
    nowRegion.textContent = text;
    for (const li of list.children) li.classList.toggle("playing", Number(li.dataset.index) === index);
    if (isExtended(index)) return;  // spoken by holdFor while the picture is held
    if (voiceMode() === "browser" && !video.paused && "speechSynthesis" in window && lastSpoken !== cue) {
      lastSpoken = cue;
      speechSynthesis.cancel();
      speechSynthesis.speak(new SpeechSynthesisUtterance(text));
    }
  });
}

function voiceMode() {
  const checked = document.querySelector('input[name="voice"]:checked');
  return checked ? checked.value : "off";
}

function syncAudio() {
  if (voiceMode() !== "track" || !adAudio.src) {
    adAudio.pause();
    return;
  }
  if (Math.abs(adAudio.currentTime - video.currentTime) > 0.15) adAudio.currentTime = video.currentTime;
  adAudio.playbackRate = video.playbackRate;
  if (video.paused) adAudio.pause();
  else adAudio.play().catch(() => {});
}

// Extended ADs: at each pause point the picture is held (the video paused) while the description
// is shown and spoken, for the pause's duration; then playback resumes where it stopped.
const hold = {timer: null, done: new Set(), poll: null};

function isExtended(index) {
  const d = descriptions().find((x) => x.index === index);
  return Boolean(d && d.extended);
}

function extendedPauses() {
  return descriptions().filter((d) => d.extended && d.text && d.pause_at !== null && d.pause_at !== undefined)
    .sort((a, b) => a.pause_at - b.pause_at);
}

function checkPause() {
  if (video.paused || hold.timer !== null) return;
  const t = video.currentTime;
  const due = extendedPauses().find((d) => !hold.done.has(d.index) && t >= d.pause_at - 0.02 && t < d.pause_at + 0.5);
  if (due) holdFor(due);
}

function holdFor(d) {
  hold.done.add(d.index);
  video.pause();
  video.currentTime = d.pause_at;
  const li = itemOf(d.index);
  const text = li ? $(".text", li).value : d.text;
  currentIndex = d.index;
  nowRegion.textContent = text;
  for (const item of list.children) item.classList.toggle("playing", Number(item.dataset.index) === d.index);
  if (voiceMode() !== "off" && "speechSynthesis" in window) {
    speechSynthesis.cancel();
    speechSynthesis.speak(new SpeechSynthesisUtterance(text));
  }
  hold.timer = setTimeout(() => {
    hold.timer = null;
    video.play().catch(() => {});
  }, Number(d.pause_s) * 1000);
}

function endHold() {
  if (hold.timer === null) return;
  clearTimeout(hold.timer);
  hold.timer = null;
  if ("speechSynthesis" in window) speechSynthesis.cancel();
}

function watchPauses() {
  clearInterval(hold.poll);
  hold.poll = video.paused ? null : setInterval(checkPause, 20);
}

function forgetPausesAfter() {
  // a seek makes the pauses after the new position due again (the one just held stays done)
  const t = video.currentTime;
  for (const d of extendedPauses()) if (d.pause_at > t + 0.01) hold.done.delete(d.index);
}

function playFrom(index) {
  const d = descriptions().find((x) => x.index === index);
  if (!d) return;
  video.currentTime = Math.max(0, d.start - 0.5);
  video.play().catch(() => {});
}

function focusedItem() {
  const active = document.activeElement;
  const li = active && active.closest ? active.closest("li.ad") : null;
  return li || (currentIndex !== null ? itemOf(currentIndex) : null);
}

function jump(direction) {
  const spoken = descriptions().filter((d) => d.text);
  const t = video.currentTime;
  const target = direction > 0 ? spoken.find((d) => d.start > t + 0.05)
                               : [...spoken].reverse().find((d) => d.start < t - 0.5);
  if (!target) return;
  video.currentTime = target.start;
  const li = itemOf(target.index);
  li.scrollIntoView({block: "nearest"});
  $(".text", li).focus();
}

async function reexport() {
  const status = $("#export-status");
  const button = $("#export");
  button.disabled = true;
  setStatus(status, "Exporting… (voicing every description)");
  const {ok, data} = await api("/api/export", {});
  button.disabled = false;
  if (!ok) {
    setStatus(status, `Export failed: ${data.error}`);
    return;
  }
  const fitted = Object.entries(data.fitted).map(([k, v]) => `${v} ${k}`).join(", ");
  setStatus(status, `Exported ${data.files.length} files (${fitted || "no speech"}).`);
  await load(true);
}

function onKey(ev) {
  if (!ev.altKey || ev.ctrlKey || ev.metaKey) return;
  const actions = {
    KeyK: () => (video.paused ? video.play().catch(() => {}) : video.pause()),
    KeyJ: () => jump(-1),
    KeyL: () => jump(1),
    KeyP: () => { const li = focusedItem(); if (li) playFrom(Number(li.dataset.index)); },
    KeyS: () => { const li = focusedItem(); if (li) save(li); },
    KeyE: () => reexport(),
  };
  const digit = /^Digit([1-5])$/.exec(ev.code);
  if (digit) {
    const li = focusedItem();
    if (li && pickCandidate(li, Number(digit[1]) - 1)) ev.preventDefault();
    return;
  }
  const action = actions[ev.code];
  if (action) {
    ev.preventDefault();
    action();
  }
}

// Score tracks (classify predict --segments --attach): a graph for sighted users, a table for everyone.
const SVG = "http://www.w3.org/2000/svg";
const TRACK_COLOURS = ["#0b57d0", "#b00020", "#1b6e20", "#8a4b00"];

function trackGraph(track, duration) {
  const w = 600, h = 90;
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", `0 0 ${w} ${h}`);
  svg.setAttribute("width", "100%");
  svg.setAttribute("aria-hidden", "true");
  const scores = track.segments.flatMap((s) => (s.scores ? Object.values(s.scores) : []));
  const lo = Math.min(0, ...scores), hi = Math.max(1, ...scores);
  const y = (v) => h - 4 - ((v - lo) / (hi - lo || 1)) * (h - 8);
  track.names.forEach((name, i) => {
    const points = track.segments.filter((s) => s.scores)
      .map((s) => `${(((s.start + s.end) / 2) / duration) * w},${y(s.scores[name])}`);
    const line = document.createElementNS(SVG, "polyline");
    line.setAttribute("points", points.join(" "));
    line.setAttribute("fill", "none");
    line.setAttribute("stroke", TRACK_COLOURS[i % TRACK_COLOURS.length]);
    line.setAttribute("stroke-width", "2");
    svg.append(line);
  });
  return svg;
}

function trackTable(track, number) {
  const table = document.createElement("table");
  table.className = "facts";
  const caption = table.createCaption();
  caption.textContent = `${track.name}: ${track.names.join(", ")} per ${track.window}-second segment`;
  const head = table.createTHead().insertRow();
  for (const label of ["Segment", ...track.names]) {
    const th = document.createElement("th");
    th.scope = "col";
    th.textContent = label;
    head.append(th);
  }
  const body = table.createTBody();
  track.segments.forEach((s, i) => {
    const row = body.insertRow();
    row.dataset.start = s.start;
    row.dataset.end = s.end;
    const seek = document.createElement("button");
    seek.type = "button";
    seek.className = "play";
    seek.textContent = `${clock(s.start)} – ${clock(s.end)}`;
    seek.setAttribute("aria-label", `Track ${number}: seek to ${clock(s.start)}`);
    seek.addEventListener("click", () => { video.currentTime = s.start; });
    row.insertCell().append(seek);
    for (const name of track.names) row.insertCell().textContent = s.scores ? s.scores[name].toFixed(3) : "–";
  });
  return table;
}

function renderTracks(doc) {
  const tracks = Array.isArray(doc.tracks) ? doc.tracks : [];
  const box = $("#track-list");
  $("#tracks").hidden = tracks.length === 0;
  const duration = Number(doc.video.duration) || Math.max(1, ...tracks.flatMap((t) => t.segments.map((s) => s.end)));
  box.replaceChildren(...tracks.map((track, i) => {
    const article = document.createElement("article");
    const title = document.createElement("h3");
    title.textContent = `${track.name} (${track.task})`;
    const legend = document.createElement("p");
    legend.textContent = `Graph colours: ${track.names.map((n, k) => `${n} ${["blue", "red", "green", "brown"][k % 4]}`).join(", ")}.`;
    const details = document.createElement("details");
    const summary = document.createElement("summary");
    summary.textContent = `Scores of ${track.segments.length} segments`;
    details.append(summary, trackTable(track, i + 1));
    article.append(title, trackGraph(track, duration), legend, details);
    return article;
  }));
}

function markTrackRows() {
  const t = video.currentTime;
  for (const row of document.querySelectorAll("#track-list tbody tr")) {
    const here = t >= Number(row.dataset.start) && t < Number(row.dataset.end);
    if (here) row.setAttribute("aria-current", "time"); else row.removeAttribute("aria-current");
  }
}

async function load(keepVoice = false) {
  const {ok, data} = await api("/api/script");
  if (!ok) {
    setStatus($("#load-status"), `Cannot load the script: ${data.error}`);
    return;
  }
  state = data;
  $("#title-file").textContent = `— ${data.json}`;
  const ds = descriptions();
  list.replaceChildren(...ds.map((d, i) => buildItem(d, i + 1)));
  const spoken = ds.filter((d) => d.text).length;
  $("#summary").textContent = `${spoken} descriptions in ${ds.length} slots; ${data.doc.timeline.dialogue.length} dialogue intervals. Video: ${data.video}.`;
  const trackRadio = document.querySelector('input[name="voice"][value="track"]');
  trackRadio.disabled = !data.has_ad_audio;
  if (data.has_ad_audio) adAudio.src = `/media/ad.wav?rev=${Date.now()}`;
  if (!keepVoice) {
    const initial = data.has_ad_audio ? "track" : ("speechSynthesis" in window ? "browser" : "off");
    document.querySelector(`input[name="voice"][value="${initial}"]`).checked = true;
  }
  renderTracks(data.doc);
  renderTimeline(data.doc, (t, label) => {
    video.currentTime = t;
    setStatus($("#timeline-status"), `Moved to ${clock(t)}: ${label}`);
  });
  setStatus($("#load-status"), `Loaded ${ds.length} slots. Use Tab to reach each description; shortcuts are listed below the video.`);
  reloadTrack();
}

video.addEventListener("play", () => { endHold(); watchPauses(); checkPause(); });
video.addEventListener("pause", watchPauses);
video.addEventListener("seeked", forgetPausesAfter);
video.addEventListener("play", syncAudio);
video.addEventListener("pause", syncAudio);
video.addEventListener("seeked", syncAudio);
video.addEventListener("ratechange", syncAudio);
video.addEventListener("timeupdate", markTrackRows);
video.addEventListener("timeupdate", () => moveTimeline(video.currentTime));
video.addEventListener("timeupdate", () => {
  if (voiceMode() === "track" && !video.paused && Math.abs(adAudio.currentTime - video.currentTime) > 0.3) syncAudio();
});
for (const radio of document.querySelectorAll('input[name="voice"]')) {
  radio.addEventListener("change", () => {
    if ("speechSynthesis" in window) speechSynthesis.cancel();
    syncAudio();
  });
}
$("#export").addEventListener("click", reexport);
document.addEventListener("keydown", onKey);
document.addEventListener("cinescribe:reload", () => load(true));
load();
