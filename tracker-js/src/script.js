// Lantern tracker: one small script, no cookies, no storage identifiers. Paste into every page:
//
//   <script>window.lantern=window.lantern||function(){(lantern.q=lantern.q||[]).push(arguments)}</script>
//   <script defer data-domain="example.com" src="https://lantern.example/js/script.js"></script>
//
// The first line is the queue stub: it keeps lantern(...) calls made before this script has loaded,
// and the script replays them in order right after the page's first pageview. Then, anywhere:
//
//   lantern("Signup", {props: {plan: "pro"}, revenue: {amount: 15.99, currency: "USD"},
//                      interactive: false, callback: function () { location = "/welcome" }})
//
// Script tag options: data-api="URL" (another endpoint), data-local (count localhost too), data-hash
// (hash routing: each #hash is a page of its own). script.all.js also counts outbound link clicks,
// file downloads (data-file-types="epub,svg" adds extensions to the built-in list), clicks and form
// submits on elements tagged with classes (class="lantern-event-name=Signup lantern-event-plan=pro",
// "+" stands for a space), a "404" event with props {path} on pages whose script tag has data-404,
// and engagement: how long each page was visible and in use, and how far down it was read.
//
// build.mjs makes dist/script.js without the /*@all*/ ... /*@end*/ blocks, dist/script.all.js with them.
(function () {
  "use strict";
  var doc = document;
  var win = window;
  var loc = location;
  var script = doc.currentScript;
  var endpoint = attr("api") || new URL(script.src).origin + "/api/event";
  var hashMode = attr("hash") != null;
  var queue = (win.lantern && win.lantern.q) || [];
  var lastPage;

  // The value of the script tag's data-NAME attribute (null when absent).
  function attr(name) {
    return script.getAttribute("data-" + name);
  }

  // Why this visit will not be counted, or "" when it will.
  function ignored() {
    if (/^(localhost|127(\.\d+){3}|\[::1\])$/.test(loc.hostname) && attr("local") == null) return "localhost";
    if (loc.protocol == "file:") return "file";
    if (win._phantom || win.__nightmare || navigator.webdriver || win.Cypress) return "bot";
    try {
      if (localStorage.lantern_ignore == "true") return "ignored";
    } catch (e) {
      // storage blocked: count as usual
    }
    return "";
  }

  // POST one event with the fields every event carries, as text/plain (no CORS preflight), in a way
  // that survives the page being left: sendBeacon, or fetch with keepalive where that is missing.
  function post(body) {
    if (ignored()) return;
    body.u = body.u || loc.href;
    body.d = attr("domain");
    body.r = doc.referrer || null;
    body.w = win.innerWidth;
    if (hashMode) body.h = 1;
    body = JSON.stringify(body);
    if (!(navigator.sendBeacon && navigator.sendBeacon(endpoint, body))) {
      fetch(endpoint, { method: "POST", body: body, keepalive: true });
    }
  }

  // lantern(name, {props, revenue, interactive, callback}): a custom event. The callback runs once the
  // event is on its way, and also when it is not counted, so a page waiting on it never hangs.
  function send(name, options) {
    options = options || {};
    post({
      n: name,
      p: options.props,
      $: options.revenue,
      i: options.interactive !== false && undefined // sent only when false
    });
    if (options.callback) options.callback();
  }

  // A pageview, unless this page is the one just counted (the same path, or with data-hash the same
  // path and hash). In script.all.js the page being left first reports its engagement.
  function page() {
    var key = loc.pathname + (hashMode ? loc.hash : "");
    if (key == lastPage) return;
    /*@all*/
    report();
    depth = 0;
    pageUrl = loc.href;
    /*@end*/
    lastPage = key;
    post({ n: "pageview" });
  }

  /*@all*/
  var engaged = 0; // ms engaged with the current page not yet reported
  var since = 0; // when the running stretch of engagement began; 0 while the page is hidden or unfocused
  var depth = 0; // the furthest down the current page seen, in % of its height
  var pageUrl; // the current page's URL: engagement is reported for it after an SPA has moved on

  // Note how far down the page the bottom of the window is, in % of the page's height.
  function scrolled() {
    var seen = Math.round(((win.scrollY + win.innerHeight) / doc.documentElement.scrollHeight) * 100);
    if (seen > depth) depth = Math.min(seen, 100);
  }

  // Add the running stretch to the engaged time, then keep the clock running only if `run` is not 0
  // and the page is visible and focused.
  function tick(run) {
    var now = Date.now();
    if (since) engaged += now - since;
    since = run !== 0 && doc.visibilityState == "visible" && doc.hasFocus() ? now : 0;
  }

  // Send an "engagement" event for the current page: e = ms engaged since the last report (never 0),
  // sd = scroll depth. Called when the page is hidden or left, and before an SPA's next pageview.
  function report(run) {
    tick(run);
    scrolled();
    if (engaged) post({ n: "engagement", u: pageUrl, e: engaged, sd: depth });
    engaged = 0;
  }

  // Send the event named by el's class lantern-event-name=NAME, its other lantern-event-KEY=VALUE
  // classes as props ("+" for a space); returns the name, if any.
  function tagged(el) {
    var name;
    var props = {};
    (el.getAttribute("class") || "").replace(/(?:^|\s)lantern-event-([^\s=]+)=(\S+)/g, function (_, key, value) {
      value = value.replace(/\+/g, " ");
      if (key == "name") name = value;
      else props[key] = value;
    });
    if (name) send(name, { props: props });
    return name;
  }

  // The site's own extensions ("epub, .mobi, tar.zst") are taken as written: a sign such as "+" matches
  // itself, never breaks the pattern (and with it the script).
  var files = new RegExp(
    "\\.(" +
      (attr("file-types") || "pdf")
        .split(",")
        .map(function (type) {
          return type.trim().replace(/^\./, "").replace(/[.*+?^${}()|[\]\\]/g, "\\$&") || "pdf";
        })
        .join("|") +
      "|pdf|xlsx|docx|txt|rtf|csv|exe|key|pps|ppt|pptx|7z|pkg|rar|gz|zip|avi|mov|mp4|mpeg|wmv|midi|mp3|wav|wma|dmg)$",
    "i"
  );

  // A click on a tagged element, or on a link to a file or to another site (a link inside a tagged
  // element counts as the element's event unless it is one of those). A middle click opens links only,
  // so it counts links only. The event goes out by sendBeacon: the navigation is never held up.
  function clicked(event) {
    var middle = event.type == "auxclick";
    if (middle && event.button != 1) return;
    for (var el = event.target; el && el.getAttribute; el = el.parentNode) {
      if (el.tagName != "FORM" && (!middle || el.href) && tagged(el)) return;
      if (/^http/.test(el.protocol)) {
        if (files.test(el.pathname)) return send("File Download", { props: { url: el.href.split("?")[0] } });
        if (el.host != loc.host) return send("Outbound Link: Click", { props: { url: el.href } });
      }
    }
  }

  doc.addEventListener("click", clicked, true);
  doc.addEventListener("auxclick", clicked, true);
  doc.addEventListener(
    "submit",
    function (event) {
      tagged(event.target);
    },
    true
  );
  doc.addEventListener("visibilitychange", function () {
    if (doc.visibilityState == "hidden") report(0);
    else tick();
  });
  win.addEventListener("pagehide", function () {
    report(0);
  });
  win.addEventListener("focus", tick);
  win.addEventListener("blur", tick);
  win.addEventListener("scroll", scrolled);
  /*@end*/

  var history = win.history;
  var push = history.pushState;
  var replace = history.replaceState;
  history.pushState = function () {
    push.apply(this, arguments);
    page();
  };
  history.replaceState = function () {
    replace.apply(this, arguments);
    page();
  };
  win.addEventListener("popstate", page);
  if (hashMode) win.addEventListener("hashchange", page);

  // The first pageview, then the calls queued before the script loaded, in order.
  function start() {
    page();
    /*@all*/
    if (attr("404") != null) send("404", { props: { path: loc.pathname } });
    /*@end*/
    win.lantern = send;
    for (var i = 0; i < queue.length; i++) send.apply(0, queue[i]);
  }

  if (doc.visibilityState == "prerender") {
    doc.addEventListener("visibilitychange", function once() {
      if (doc.visibilityState == "visible") {
        doc.removeEventListener("visibilitychange", once);
        start();
      }
    });
  } else {
    start();
  }
})();
