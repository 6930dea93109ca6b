// cinescribe review page: the character gallery (faces, where each appears, rename once for every AD,
// names heard in the dialogue offered as suggestions).
"use strict";

(() => {
  const section = document.querySelector("#characters");
  const gallery = document.querySelector("#character-list");
  const status = document.querySelector("#character-status");
  const video = document.querySelector("#video");
  const heard = document.querySelector("#heard-names");
  const heardHint = document.querySelector("#heard-names-hint");

  function clock(t) {
    const m = Math.floor(t / 60), s = t - 60 * m;
    return `${m}:${s.toFixed(1).padStart(4, "0")}`;
  }

  async function call(path, body) {
    const opts = body === undefined ? {} : {
      method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body),
    };
    try {
      const response = await fetch(path, opts);
      const data = await response.json().catch(() => ({error: response.statusText}));
      return {ok: response.ok, data};
    } catch (err) {
      return {ok: false, data: {error: "the review server is not reachable"}};
    }
  }

  function card(c, revision) {
    const li = document.createElement("li");
    li.className = "character";
    li.id = `character-${c.id}`;
    const title = document.createElement("h3");
    title.id = `character-${c.id}-title`;
    title.textContent = c.name ? `${c.name} (${c.id})` : `${c.label} (${c.id})`;
    const img = document.createElement("img");
    img.src = `/media/character/${encodeURIComponent(c.id)}.jpg`;
    img.width = 96;
    img.height = 96;
    img.alt = `Face of ${c.name || c.label}`;
    const where = document.createElement("ul");
    where.className = "appearances";
    where.setAttribute("aria-label", `Where ${c.name || c.label} appears`);
    for (const a of c.appearances || []) {
      const item = document.createElement("li");
      const seek = document.createElement("button");
      seek.type = "button";
      seek.className = "seek";
      seek.textContent = `${clock(a.start)}–${clock(a.end)}`;
      seek.addEventListener("click", () => { video.currentTime = a.start; });
      item.append(seek);
      where.append(item);
    }
    const form = document.createElement("form");
    form.className = "rename";
    const label = document.createElement("label");
    label.htmlFor = `character-${c.id}-name`;
    label.textContent = `Name of ${c.id}`;
    const input = document.createElement("input");
    input.id = `character-${c.id}-name`;
    input.type = "text";
    input.maxLength = 80;
    input.value = c.name || "";
    input.setAttribute("list", "heard-names");
    if (!heardHint.hidden) input.setAttribute("aria-describedby", "heard-names-hint");
    const button = document.createElement("button");
    button.type = "submit";
    button.textContent = "Rename";
    button.setAttribute("aria-label", `Rename ${c.id} in every description`);
    const said = document.createElement("span");
    said.className = "saved";
    said.setAttribute("role", "status");
    form.append(label, input, button, said);
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      button.disabled = true;
      said.textContent = "Renaming and re-exporting…";
      const {ok, data} = await call("/api/rename", {revision, character: c.id, name: input.value});
      button.disabled = false;
      if (!ok) {
        said.textContent = `Not renamed: ${data.error}`;
        said.classList.add("bad");
        return;
      }
      said.classList.remove("bad");
      status.textContent = `Renamed ${c.id} to ${input.value.trim()} in ${data.changed.length} descriptions; files re-exported.`;
      document.dispatchEvent(new CustomEvent("cinescribe:reload"));
    });
    li.append(title, img, where, form);
    return li;
  }

  function times(n) {
    return n === 1 ? "once" : `${n} times`;
  }

  // Names heard in the dialogue, most often heard first, leaving out those a character already has.
  function suggest(doc, chars) {
    const taken = new Set(chars.map((c) => c.name).filter(Boolean));
    const names = (doc.heard_names || [])
      .filter((n) => typeof n.name === "string" && n.name && !taken.has(n.name))
      .sort((a, b) => (b.count || 0) - (a.count || 0) || (a.first || 0) - (b.first || 0));
    heard.replaceChildren(...names.map((n) => {
      const option = document.createElement("option");
      option.value = n.name;
      option.label = `heard ${times(n.count || 0)}, first at ${clock(n.first || 0)}`;
      return option;
    }));
    heardHint.hidden = names.length === 0;
    heardHint.textContent = names.length === 0 ? "" : "Names heard in the dialogue, offered when renaming: " +
      names.map((n) => `${n.name} (heard ${times(n.count || 0)}, first at ${clock(n.first || 0)})`).join("; ") + ".";
  }

  async function render() {
    const {ok, data} = await call("/api/script");
    if (!ok) return;
    const chars = data.doc.characters || [];
    suggest(data.doc, chars);
    section.hidden = chars.length === 0;
    gallery.replaceChildren(...chars.map((c) => card(c, data.revision)));
  }

  document.addEventListener("cinescribe:reload", render);
  render();
})();
