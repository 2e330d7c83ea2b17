// Lantern tracker: counts a pageview on load and on history navigation. No cookies, no storage ids.
// <script defer data-domain="example.com" src="https://lantern.example/js/script.js"></script>
(function () {
  "use strict";
  var script = document.currentScript;
  var loc = window.location;
  var endpoint = script.getAttribute("data-api") || new URL(script.src).origin + "/api/event";
  var domain = script.getAttribute("data-domain");
  var lastPage;

  // Why this page view will not be counted, or "" when it will.
  function ignored() {
    if (/^(localhost|127(\.\d+){3}|\[::1\])$/.test(loc.hostname) && !script.hasAttribute("data-local")) {
      return "localhost";
    }
    if (loc.protocol === "file:") return "file";
    if (window._phantom || window.__nightmare || window.navigator.webdriver || window.Cypress) return "bot";
    try {
      if (window.localStorage.lantern_ignore === "true") return "ignored";
    } catch (e) { /* storage blocked: count as usual */ }
    return "";
  }

  // Send one event as text/plain (no CORS preflight), surviving page unload.
  function send(name, options) {
    if (ignored()) return;
    var body = JSON.stringify({
      n: name,
      u: loc.href,
      d: domain,
      r: document.referrer || null,
      w: window.innerWidth,
      p: options && options.props
    });
    if (!(navigator.sendBeacon && navigator.sendBeacon(endpoint, new Blob([body], { type: "text/plain" })))) {
      fetch(endpoint, { method: "POST", body: body, keepalive: true, headers: { "Content-Type": "text/plain" } });
    }
  }

  // A pageview unless the path is the one just counted (pushState to the same path, hash-only moves).
  function page() {
    if (lastPage === loc.pathname) return;
    lastPage = loc.pathname;
    send("pageview");
  }

  var history = window.history;
  if (history.pushState) {
    var push = history.pushState;
    history.pushState = function () {
      push.apply(this, arguments);
      page();
    };
    var replace = history.replaceState;
    history.replaceState = function () {
      replace.apply(this, arguments);
      page();
    };
    window.addEventListener("popstate", page);
  }

  window.lantern = send;
  if (document.visibilityState === "prerender") {
    document.addEventListener("visibilitychange", function once() {
      if (document.visibilityState === "visible") {
        document.removeEventListener("visibilitychange", once);
        page();
      }
    });
  } else {
    page();
  }
})();
