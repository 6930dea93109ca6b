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
