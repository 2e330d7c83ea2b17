// Lantern dashboard: fetches the Stats API (the same one API users call) and draws the page.
// Every value from tracked data is written with textContent, never as HTML.
(function () {
  "use strict";
  var root = document.getElementById("dashboard");
  if (!root) return;
  var site = root.dataset.site;
  var params = new URLSearchParams(window.location.search);
  var period = params.get("period") || "30d";
  var regionNames = window.Intl && Intl.DisplayNames ? new Intl.DisplayNames(["en"], { type: "region" }) : null;

  // GET /api/v1/stats/<path> with the dashboard's site, period and extra parameters.
  function api(path, extra) {
    var query = new URLSearchParams({ site_id: site, period: period });
    Object.keys(extra || {}).forEach(function (k) { query.set(k, extra[k]); });
    return fetch("/api/v1/stats/" + path + "?" + query.toString(), { credentials: "same-origin" })
      .then(function (r) {
        if (!r.ok) throw new Error(path + " answered " + r.status);
        return r.json();
      });
  }

  function formatNumber(n) {
    if (n >= 1e6) return (n / 1e6).toFixed(1).replace(/\.0$/, "") + "M";
    if (n >= 1e4) return (n / 1e3).toFixed(1).replace(/\.0$/, "") + "k";
    return String(n);
  }

  function markPeriod() {
    document.querySelectorAll(".periods a").forEach(function (a) {
      a.classList.toggle("active", a.dataset.period === period);
    });
  }

  function loadTopStats() {
    return api("aggregate", { metrics: "visitors,pageviews" }).then(function (data) {
      document.getElementById("stat-visitors").textContent = formatNumber(data.results.visitors.value);
      document.getElementById("stat-pageviews").textContent = formatNumber(data.results.pageviews.value);
    });
  }

  // A bar chart of visitors per bucket, drawn as SVG rectangles.
  function loadChart() {
    return api("timeseries", { metrics: "visitors" }).then(function (data) {
      var svg = document.getElementById("chart");
      var points = data.results;
      var max = Math.max(1, Math.max.apply(null, points.map(function (p) { return p.visitors; })));
      var ns = "http://www.w3.org/2000/svg";
      while (svg.firstChild) svg.removeChild(svg.firstChild);
      var width = 800 / Math.max(points.length, 1);
      points.forEach(function (p, i) {
        var h = (p.visitors / max) * 200;
        var rect = document.createElementNS(ns, "rect");
        rect.setAttribute("x", String(i * width + width * 0.1));
        rect.setAttribute("y", String(210 - h));
        rect.setAttribute("width", String(width * 0.8));
        rect.setAttribute("height", String(Math.max(h, p.visitors ? 1 : 0)));
        rect.setAttribute("class", "bar");
        var title = document.createElementNS(ns, "title");
        title.textContent = p.date + ": " + p.visitors + " visitors";
        rect.appendChild(title);
        svg.appendChild(rect);
      });
      svg.dataset.points = String(points.length);
      svg.dataset.total = String(points.reduce(function (s, p) { return s + p.visitors; }, 0));
      var axis = document.getElementById("chart-axis");
      axis.textContent = "";
      if (points.length) {
        [points[0], points[points.length - 1]].forEach(function (p) {
          var span = document.createElement("span");
          span.textContent = p.date;
          axis.appendChild(span);
        });
      }
    });
  }

  function label(property, value) {
    if (property === "visit:country" && regionNames) {
      try { return regionNames.of(value) || value; } catch (e) { return value; }
    }
    return value;
  }

  // One "top N" table: the dimension's value, a bar proportional to visitors, and the count.
  function loadList(table) {
    var property = table.dataset.property;
    var key = property.split(":").pop();
    return api("breakdown", { property: property, metrics: "visitors", limit: "10" }).then(function (data) {
      table.textContent = "";
      var rows = data.results;
      var max = Math.max(1, rows.length ? rows[0].visitors : 1);
      if (!rows.length) {
        var empty = table.insertRow();
        var cell = empty.insertCell();
        cell.className = "muted";
        cell.textContent = "No data yet";
      }
      rows.forEach(function (row) {
        var tr = table.insertRow();
        tr.className = "item";
        var name = tr.insertCell();
        var bar = document.createElement("span");
        bar.className = "bar-bg";
        bar.style.width = (row.visitors / max) * 100 + "%";
        var text = document.createElement("span");
        text.className = "name";
        text.textContent = label(property, String(row[key]));
        name.appendChild(bar);
        name.appendChild(text);
        var count = tr.insertCell();
        count.className = "count";
        count.textContent = formatNumber(row.visitors);
      });
    });
  }

  function loadAll() {
    var lists = Array.prototype.map.call(document.querySelectorAll("table.list"), loadList);
    return Promise.all([loadTopStats(), loadChart()].concat(lists)).then(function () {
      root.dataset.loaded = "true";
    }).catch(function (err) {
      root.dataset.error = String(err);
      console.warn(err);
    });
  }

  markPeriod();
  loadAll();
  setInterval(function () { if (!document.hidden) loadAll(); }, 30000);
})();
