// Progressive enhancement only: every page works without this file.
"use strict";

// A draft of the scoring form survives a reload or a lost connection: what is typed is kept
// in this browser's localStorage under the assignment and put back when the page opens
// (never over what the server sent back). The queue page drops the drafts of assignments
// no longer open, such as one just reviewed.
const DRAFT = "awardpath-draft:";

function restoreDraft(form, key) {
  const saved = JSON.parse(localStorage.getItem(key) || "{}");
  for (const [name, value] of Object.entries(saved)) {
    const fields = [...form.elements].filter((field) => field.name === name);
    if (fields.some((field) => field.type === "radio" && field.checked)) continue;
    for (const field of fields) {
      if (field.type === "radio") field.checked = field.value === value;
      else if (!field.value) field.value = value;
    }
  }
}

function keepDraft(form, key) {
  form.addEventListener("input", () => {
    const draft = {};
    for (const [name, value] of new FormData(form)) if (name !== "form_token") draft[name] = value;
    localStorage.setItem(key, JSON.stringify(draft));
  });
}

function dropClosedDrafts(open) {
  for (const key of Object.keys(localStorage)) {
    if (key.startsWith(DRAFT) && !open.includes(key.slice(DRAFT.length))) localStorage.removeItem(key);
  }
}

// The recommendation follows from the levels: award when every section reaches its passing
// level, resubmission otherwise. The form says so as the levels are chosen and is not sent
// contradicting them (the server would refuse it).
function adviseRecommendation(form) {
  const award = form.querySelector("input[name=recommendation][value=award]");
  const resubmit = form.querySelector("input[name=recommendation][value=resubmit]");
  const advice = document.getElementById("recommendation-advice");
  if (!award || !resubmit || !advice) return;
  const update = () => {
    const chosen = [...form.querySelectorAll("input[data-passes]:checked")];
    let message = "";
    if (chosen.length === form.querySelectorAll("fieldset[data-section]").length) {
      const passes = chosen.every((level) => level.dataset.passes === "true");
      if (award.checked && !passes) message = "A section is below its passing level, so recommend resubmission.";
      if (resubmit.checked && passes) message = "Every section reaches its passing level, so recommend award.";
    }
    award.setCustomValidity(message);
    advice.textContent = message;
  };
  form.addEventListener("change", update);
  update();
}

// The claim's end, counted down in minutes where the page shows it.
function countDown(element) {
  const ends = Date.parse(element.getAttribute("datetime"));
  const show = () => {
    const minutes = Math.max(0, Math.round((ends - Date.now()) / 60000));
    element.textContent = minutes > 0 ? `in ${minutes} minute${minutes === 1 ? "" : "s"}` : "now: reload to see if it is still yours";
  };
  show();
  setInterval(show, 30000);
}

for (const form of document.querySelectorAll("form[data-draft]")) {
  const key = DRAFT + form.dataset.draft;
  restoreDraft(form, key);
  keepDraft(form, key);
  adviseRecommendation(form);
}
const queue = document.querySelector("[data-open-assignments]");
if (queue) dropClosedDrafts(queue.dataset.openAssignments.split(" "));
for (const element of document.querySelectorAll("time[data-countdown]")) countDown(element);

// A list that refreshes itself (static: templates/refreshing.html) can be paused (WCAG 2.2.2):
// while it is, its refreshes are not sent.
for (const button of document.querySelectorAll("[data-pause-updates]")) {
  button.hidden = false;
  button.addEventListener("click", () => {
    const paused = button.dataset.paused !== "true";
    button.dataset.paused = String(paused);
    button.textContent = paused ? "Resume updates" : "Pause updates";
  });
  document.addEventListener("htmx:beforeRequest", (event) => {
    if (button.dataset.paused === "true" && event.detail.elt.id === "waiting-work") event.preventDefault();
  });
}

// An error answer that is not one of our pages (a proxy's, a plain 500) would swap nothing
// in for the page's content: the page stays as it is instead.
document.addEventListener("htmx:beforeSwap", (event) => {
  if (event.detail.isError && !event.detail.xhr.responseText.includes('id="main"')) event.detail.shouldSwap = false;
});

// A refusal swapped in place of the page's content (htmx) takes the focused element away:
// the keyboard goes to the refusal's heading, which a screen reader then reads.
document.addEventListener("htmx:afterSettle", (event) => {
  if (!event.detail.failed) return;
  const heading = document.querySelector("#main h1");
  if (heading) {
    heading.tabIndex = -1;
    heading.focus();
  }
});
