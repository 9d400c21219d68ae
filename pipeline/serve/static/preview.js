// The preview follows every save: the server says on /events (Server-Sent Events) which views a
// change touched; this page then fetches itself again and puts the new content in place, keeping
// the tab that was open. No polling: the browser holds the one connection open and reconnects.
"use strict";
(() => {
  const body = document.body;
  const slug = body.dataset.slug || null;
  let seen = Number(body.dataset.generation);
  let busy = false, again = false;

  function showTab(tab) {
    const content = document.getElementById("content");
    content.dataset.tab = tab;
    for (const button of content.querySelectorAll(".tabs button"))
      button.setAttribute("aria-selected", String(button.dataset.tab === tab));
  }

  function wire() {
    for (const button of document.querySelectorAll(".tabs button"))
      button.addEventListener("click", () => {
        sessionStorage.setItem("clinics-tab", button.dataset.tab);
        showTab(button.dataset.tab);
      });
    showTab(sessionStorage.getItem("clinics-tab") || "html");
    const frame = document.getElementById("html");
    const generation = body.dataset.generation;
    // The page counts as shown once its HTML email has loaded too: what the benchmark waits for.
    if (frame) frame.addEventListener("load", () => { body.dataset.shown = generation; }, {once: true});
    else body.dataset.shown = generation;
  }

  async function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    try {
      const answer = await fetch(location.pathname, {cache: "no-store"});
      const page = new DOMParser().parseFromString(await answer.text(), "text/html");
      const fresh = page.getElementById("content");
      if (fresh) {
        body.dataset.generation = page.body.dataset.generation;
        document.title = page.title;
        document.querySelector("header span").replaceWith(document.importNode(page.querySelector("header span"), true));
        document.getElementById("content").replaceWith(document.importNode(fresh, true));
        wire();
      }
    } finally {
      busy = false;
      if (again) { again = false; refresh(); }
    }
  }

  const events = new EventSource("/events");
  events.addEventListener("hello", (event) => {
    body.classList.remove("offline");
    const generation = JSON.parse(event.data).generation;
    if (generation !== seen) { seen = generation; refresh(); }  // saved while this page loaded, or the server restarted
  });
  events.addEventListener("message", (event) => {
    const change = JSON.parse(event.data);
    const missed = change.generation !== seen + 1;
    seen = change.generation;
    if (missed || change.everything || slug === null || change.slugs.includes(slug)) refresh();
  });
  events.addEventListener("error", () => body.classList.add("offline"));
  wire();
})();
