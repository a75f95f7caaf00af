// The API docs page (/api/v1/docs): a "try" form fills its path parameters into the
// path before the browser follows it; query parameters stay in the query string.
"use strict";
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!form.classList || !form.classList.contains("api-try")) return;
  event.preventDefault();
  let path = form.dataset.path;
  const query = new URLSearchParams();
  for (const input of form.querySelectorAll("input")) {
    if (input.dataset.in === "path") {
      path = path.replace(`{${input.name}}`, encodeURIComponent(input.value));
    } else if (input.value !== "") {
      query.append(input.name, input.value);
    }
  }
  const search = query.toString();
  window.location.assign(search ? `${path}?${search}` : path);
});
