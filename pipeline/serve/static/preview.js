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

  // The email's frame counts as shown once it has loaded the address the page names; the page counts
  // as shown (data-shown, what the benchmark waits for) when its content and its frame are both new.
  let loaded = null;
  const watched = new WeakSet();

  function mark() {
    const frame = document.getElementById("html");
    if (!frame || loaded === frame.getAttribute("src")) body.dataset.shown = body.dataset.generation;
  }

  function wire() {
    for (const button of document.querySelectorAll(".tabs button"))
      button.addEventListener("click", () => {
        sessionStorage.setItem("clinics-tab", button.dataset.tab);
        showTab(button.dataset.tab);
      });
    showTab(sessionStorage.getItem("clinics-tab") || "html");
    const frame = document.getElementById("html");
    if (frame && !watched.has(frame)) {
      watched.add(frame);
      frame.addEventListener("load", () => { loaded = frame.getAttribute("src"); mark(); });
    }
    mark();
  }

  // Send the email's frame to the new rendering at once, while the page itself is fetched again.
  function reload_frame(generation) {
    const frame = document.getElementById("html");
    if (!frame) return;
    const src = `${frame.getAttribute("src").split("?")[0]}?g=${generation}`;
    if (frame.getAttribute("src") !== src) frame.setAttribute("src", src);
  }

  // Put `fresh` in place of `old`, all but the email's frame, which stays where it is and is only sent to
  // its new address: a frame taken out of the page, even for a moment, is a new document (and, sandboxed,
  // a new process) for the browser to make on every save. False when the two differ on the way to it.
  function graft(old, fresh, frame, twin) {
    if (old.nodeName !== fresh.nodeName) return false;
    const kept = old === frame ? null : [...old.childNodes].find((n) => n.contains(frame));
    const next = old === frame ? null : [...fresh.childNodes].find((n) => n.contains(twin));
    if (old !== frame && !(kept && next && kept.nodeName === next.nodeName)) return false;
    for (const name of old.getAttributeNames()) if (!fresh.hasAttribute(name)) old.removeAttribute(name);
    for (const name of fresh.getAttributeNames())
      if (old.getAttribute(name) !== fresh.getAttribute(name)) old.setAttribute(name, fresh.getAttribute(name));
    if (old === frame) return true;
    for (const n of [...old.childNodes]) if (n !== kept) n.remove();
    let before = true;
    for (const n of [...fresh.childNodes]) {
      if (n === next) before = false;
      else if (before) old.insertBefore(n, kept);
      else old.appendChild(n);
    }
    return graft(kept, next, frame, twin);
  }

  async function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    try {
      const answer = await fetch(location.pathname, {cache: "no-store"});
      const page = new DOMParser().parseFromString(await answer.text(), "text/html");
      const fresh = page.getElementById("content");
      if (fresh) {
        const content = document.importNode(fresh, true);
        const frame = document.getElementById("html"), twin = content.querySelector("#html");
        body.dataset.generation = page.body.dataset.generation;
        document.title = page.title;
        document.querySelector("header span").replaceWith(document.importNode(page.querySelector("header span"), true));
        if (!(frame && twin && graft(document.getElementById("content"), content, frame, twin)))
          document.getElementById("content").replaceWith(content);
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
    if (missed || change.everything || slug === null || change.slugs.includes(slug)) {
      reload_frame(change.generation);
      refresh();
    }
  });
  events.addEventListener("error", () => body.classList.add("offline"));
  wire();
})();
