// Lurewatch review UI: keyboard shortcuts, select-all, confirmations.
// Loaded as a static file (the Content-Security-Policy forbids inline scripts).
"use strict";

function typingInField(event) {
  const t = event.target;
  return t instanceof HTMLElement &&
    (t.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(t.tagName));
}

// Any element with data-key="x" is activated by pressing x (a decision, next, previous).
document.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey || typingInField(event)) return;
  const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
  const target = document.querySelector(`[data-key="${CSS.escape(key)}"]`);
  if (!target) return;
  event.preventDefault();
  if (target.dataset.busy) return; // one keypress, one request
  target.dataset.busy = "1";
  target.click();
});

// Bulk view: one box selects every enabled box on the page.
document.addEventListener("change", (event) => {
  const box = event.target;
  if (!(box instanceof HTMLInputElement) || !box.dataset.selectAll) return;
  const form = box.closest("form");
  form.querySelectorAll(`input[name="${CSS.escape(box.dataset.selectAll)}"]:not(:disabled)`)
    .forEach((other) => { other.checked = box.checked; });
});

// Buttons with data-confirm ask first (bulk decisions touch many records).
document.addEventListener("click", (event) => {
  const button = event.target instanceof Element && event.target.closest("[data-confirm]");
  if (button && !window.confirm(button.dataset.confirm)) event.preventDefault();
}, true);

// Focus view: a record's images stay blurred placeholders until clicked. Only then is the
// image requested, from this application (which fetches it server-side), never from the
// poster's server. Clicking again blurs it again.
document.addEventListener("click", (event) => {
  const figure = event.target instanceof Element && event.target.closest("[data-image-src]");
  if (!figure) return;
  event.preventDefault();
  const image = figure.querySelector("img");
  if (!image.getAttribute("src")) image.src = figure.dataset.imageSrc;
  const blurred = figure.classList.toggle("blurred");
  figure.setAttribute("aria-pressed", String(!blurred));
});
