/* Xingqu pages: a little progressive enhancement, nothing required. Without this script every
   form posts and every link navigates as usual. With it:
   - forms marked data-background post in the background (like, share, follow) and the button
     shows it was done;
   - the feed loads its next cards when the reader scrolls near the end;
   - a content room reports how long it was watched when the reader leaves it. */
(function () {
  "use strict";

  function csrfOf(form) {
    var field = form && form.querySelector('input[name="csrf_token"]');
    return field ? field.value : "";
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-background]")) return;
    event.preventDefault();
    var button = form.querySelector("button[type=submit]");
    if (button) button.disabled = true;
    fetch(form.getAttribute("action"), {  /* (form.action is its field named "action") */
      method: "POST",
      body: new FormData(form),
      headers: { "X-Requested-With": "xingqu" },
      credentials: "same-origin",
    }).then(function (answer) {
      if (!button) return;
      if (answer.ok) {
        button.setAttribute("aria-pressed", "true");
        if (button.dataset.done) button.textContent = button.dataset.done;
      } else {
        button.disabled = false;
      }
    }, function () { if (button) button.disabled = false; });
  });

  function feedScroll() {
    var more = document.getElementById("more");
    var list = document.getElementById("feed");
    if (!more || !list || !("IntersectionObserver" in window)) return;
    var loading = false;
    var pages = 0;
    var observer = new IntersectionObserver(function (entries) {
      if (!entries.some(function (e) { return e.isIntersecting; }) || loading || pages >= 20) return;
      loading = true;
      fetch(more.dataset.more, { credentials: "same-origin", headers: { "X-Requested-With": "xingqu" } })
        .then(function (answer) { return answer.ok ? answer.text() : ""; })
        .then(function (html) {
          loading = false;
          if (!html.trim()) { observer.disconnect(); return; }
          list.insertAdjacentHTML("beforeend", html);
          pages += 1;
          list.dataset.pages = String(pages);
        }, function () { loading = false; });
    }, { rootMargin: "400px" });
    observer.observe(more);
  }

  function watchTime() {
    var room = document.querySelector("[data-watch]");
    var form = document.getElementById("watch-form");
    if (!room || !form || !navigator.sendBeacon) return;
    var shown = Date.now();
    var sent = false;
    function report() {
      if (sent) return;
      sent = true;
      var seconds = Math.round((Date.now() - shown) / 1000);
      var limit = parseInt(room.dataset.duration || "0", 10);
      if (limit > 0) seconds = Math.min(seconds, limit);
      if (seconds < 1) return;
      var data = new FormData();
      data.append("csrf_token", csrfOf(form));
      data.append("action", "watch");
      data.append("content_id", room.dataset.watch);
      data.append("value", String(seconds));
      if (room.dataset.rid) data.append("request_id", room.dataset.rid);
      navigator.sendBeacon("/behaviour", data);
    }
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden") report();
    });
    window.addEventListener("pagehide", report);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { feedScroll(); watchTime(); });
  } else { feedScroll(); watchTime(); }
})();
