/* The vigil console: plain JavaScript, no framework, nothing loaded from
 * anywhere but the center.
 *
 * Safety rule for this file: every string that may have come from a host
 * (host names, user names, titles, evidence, paths, ...) reaches the page
 * only as a text node (el(), text()); no markup is ever built from
 * strings, and this file never uses any DOM call that parses HTML (the
 * unit test test_console.c checks for them). The Content-Security-Policy the
 * center sends forbids inline script as a second line of defence. */
"use strict";

(function () {
  var state = { user: null, role: null, csrf: null, handling: null, notify: null };
  var LEVELS_F = ["high", "medium", "low"];
  var LEVELS_A = ["urgent", "suspicious", "reminder"];
  var BANDS = { secure: "secure", few_risks: "few risks", many_risks: "many risks",
    high_risk: "high risk", not_scanned: "no scan yet" };

  /* ---- DOM helpers: text only ---- */

  function el(tag, attrs) {
    var node = document.createElement(tag);
    var k;
    if (attrs) {
      for (k in attrs) {
        if (!Object.prototype.hasOwnProperty.call(attrs, k) || attrs[k] === null ||
            attrs[k] === undefined) {
          continue;
        }
        if (k === "onclick") {
          node.addEventListener("click", attrs[k]);
        } else if (k === "class") {
          node.className = attrs[k];
        } else {
          node.setAttribute(k, String(attrs[k]));
        }
      }
    }
    for (var i = 2; i < arguments.length; i++) {
      append(node, arguments[i]);
    }
    return node;
  }

  function append(node, child) {
    if (child === null || child === undefined) {
      return;
    }
    if (Array.isArray(child)) {
      child.forEach(function (c) { append(node, c); });
    } else if (typeof child === "object" && child.nodeType) {
      node.appendChild(child);
    } else {
      node.appendChild(document.createTextNode(String(child)));
    }
  }

  function clear(node) {
    while (node.firstChild) {
      node.removeChild(node.firstChild);
    }
  }

  function $(id) {
    return document.getElementById(id);
  }

  function str(v) {
    if (v === null || v === undefined) {
      return "";
    }
    return typeof v === "string" ? v : JSON.stringify(v);
  }

  function when(iso) {
    if (!iso) {
      return "never";
    }
    var d = new Date(iso);
    if (isNaN(d.getTime())) {
      return str(iso);
    }
    return d.toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");
  }

  function level(l) {
    return el("span", { "class": "lvl lvl-" + (/^[a-z]+$/.test(l) ? l : "x") }, str(l));
  }

  /* The API names bands with spaces ("few risks", "not scanned"); the
   * console's keys and class names use underscores. */
  function bandKey(b) {
    return str(b).replace(/ /g, "_");
  }

  function band(b) {
    var k = bandKey(b);
    return el("span", { "class": "band-" + (/^[a-z_]+$/.test(k) ? k : "x") },
      BANDS[k] || str(b));
  }

  /* The band of a host or of the fleet: a score of null means nothing has
   * been scanned yet (no findings because nothing looked), which is not
   * "secure". */
  function bandOf(score) {
    if (score === null || score === undefined) { return "not_scanned"; }
    if (score >= 95) { return "secure"; }
    if (score >= 85) { return "few_risks"; }
    if (score >= 70) { return "many_risks"; }
    return "high_risk";
  }

  /* A score as shown: the number, or a dash when there is none yet. */
  function scoreText(score) {
    return score === null || score === undefined ? "\u2013" : str(score);
  }

  function table(headers, rows) {
    var head = el("tr", null, headers.map(function (h) {
      return el("th", h.num ? { "class": "num" } : null, h.label || h);
    }));
    var body = el("tbody");
    rows.forEach(function (r) { body.appendChild(r); });
    if (!rows.length) {
      body.appendChild(el("tr", null, el("td", { colspan: headers.length, "class": "muted" },
        "Nothing to show.")));
    }
    return el("table", null, el("thead", null, head), body);
  }

  function evidence(obj) {
    if (!obj || typeof obj !== "object") {
      return el("span", { "class": "evidence" }, str(obj));
    }
    var lines = Object.keys(obj).map(function (k) { return k + ": " + str(obj[k]); });
    return el("div", { "class": "evidence" }, lines.join("\n"));
  }

  function setStatus(msg) {
    $("status").textContent = msg || "";
  }

  /* ---- the API ---- */

  function ApiError(status, body) {
    this.status = status;
    this.body = body;
    this.message = (body && body.message) || ("HTTP " + status);
  }

  function api(method, path, body) {
    var opts = { method: method, credentials: "same-origin", headers: { Accept: "application/json" } };
    if (method !== "GET" && method !== "HEAD") {
      opts.headers["X-CSRF-Token"] = state.csrf || "";
    }
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    return fetch(path, opts).then(function (res) {
      var ct = res.headers.get("Content-Type") || "";
      var parse = ct.indexOf("application/json") === 0 ? res.json() : res.text();
      return parse.then(function (data) {
        if (res.status === 401 && path !== "/api/v1/session") {
          showLogin("Your session has ended; please log in again.");
        }
        if (!res.ok) {
          throw new ApiError(res.status, data);
        }
        return data;
      });
    });
  }

  /* Does an endpoint exist? The center answers 405 for a known path asked
   * with the wrong method, 404 for an unknown one, before checking who
   * asks; so a GET tells whether a POST-only endpoint is there. */
  function probe(path) {
    return fetch(path, { method: "GET", credentials: "same-origin" }).then(function (res) {
      return res.status !== 404;
    }, function () { return false; });
  }

  function qs(params) {
    var parts = [];
    Object.keys(params).forEach(function (k) {
      if (params[k] !== null && params[k] !== undefined && params[k] !== "") {
        parts.push(encodeURIComponent(k) + "=" + encodeURIComponent(params[k]));
      }
    });
    return parts.length ? "?" + parts.join("&") : "";
  }

  /* Every page of a list, up to MAX items. */
  function listAll(path, params, max) {
    var items = [];
    function page(cursor) {
      var p = Object.assign({}, params, { limit: 500, cursor: cursor });
      return api("GET", path + qs(p)).then(function (res) {
        items = items.concat(res.items || []);
        if (res.next_cursor && items.length < max) {
          return page(res.next_cursor);
        }
        return items;
      });
    }
    return page(null);
  }

  /* ---- login and logout ---- */

  function showLogin(msg) {
    state.user = state.csrf = null;
    $("top").hidden = true;
    $("main").hidden = true;
    clear($("main"));
    $("login").hidden = false;
    $("login-error").textContent = msg || "";
    $("login-password").value = "";
    $("login-totp").value = "";
    $("login-user").focus();
  }

  function loggedIn(who) {
    state.user = who.user;
    state.role = who.role;
    state.csrf = who.csrf;
    $("login").hidden = true;
    $("top").hidden = false;
    $("main").hidden = false;
    $("who").textContent = who.user + " (" + who.role + ")";
    if (!location.hash || location.hash === "#" || location.hash === "#/login") {
      location.hash = "#/overview"; /* hashchange then draws it */
      return;
    }
    route();
  }

  function onLogin(ev) {
    ev.preventDefault();
    var btn = $("login-submit");
    btn.disabled = true;
    $("login-error").textContent = "";
    api("POST", "/api/v1/session", {
      user: $("login-user").value,
      password: $("login-password").value,
      totp: $("login-totp").value || null
    }).then(function (who) {
      btn.disabled = false;
      loggedIn(who);
    }, function (e) {
      btn.disabled = false;
      $("login-password").value = "";
      $("login-totp").value = "";
      $("login-error").textContent = e.message;
    });
  }

  function onLogout() {
    api("DELETE", "/api/v1/session").then(function () {
      location.hash = "#/login";
      showLogin("You are logged out.");
    }, function (e) { setStatus("Logout failed: " + e.message); });
  }

  /* ---- views ---- */

  /* A fresh container for a view. A view that is still loading when the
   * person moves on keeps filling its own, detached container, so two
   * views never mix on the page. */
  function view(title) {
    var main = $("main"), box = el("div", { "class": "view" });
    clear(main);
    box.appendChild(el("h1", null, title));
    main.appendChild(box);
    return box;
  }

  function failed(main, e) {
    main.appendChild(el("p", { "class": "error" }, "Could not load: " + e.message));
  }

  var SVGNS = "http://www.w3.org/2000/svg";

  function svg(tag, attrs) {
    var n = document.createElementNS(SVGNS, tag);
    Object.keys(attrs || {}).forEach(function (k) { n.setAttribute(k, String(attrs[k])); });
    return n;
  }

  /* A score line (0..100) over time with new-alert bars beneath it. */
  function trendChart(points, bars) {
    var W = 800, H = 220, L = 36, R = 10, T = 10, B = 24;
    var s = svg("svg", { "class": "chart", viewBox: "0 0 " + W + " " + H, role: "img",
      "aria-label": "Fleet score and new alerts over time" });
    var times = points.map(function (p) { return Date.parse(p.time); })
      .concat(bars.map(function (b) { return Date.parse(b.time); }))
      .filter(function (t) { return !isNaN(t); });
    [0, 50, 100].forEach(function (v) {
      var y = T + (H - T - B) * (1 - v / 100);
      s.appendChild(svg("line", { "class": "axis", x1: L, x2: W - R, y1: y, y2: y }));
      var t = svg("text", { x: 4, y: y + 4 });
      t.textContent = String(v);
      s.appendChild(t);
    });
    if (!times.length) {
      var none = svg("text", { x: W / 2 - 60, y: H / 2 });
      none.textContent = "no history yet";
      s.appendChild(none);
      return s;
    }
    var t0 = Math.min.apply(null, times), t1 = Math.max.apply(null, times);
    if (t1 === t0) { t1 = t0 + 3600000; }
    function x(t) { return L + (W - L - R) * (t - t0) / (t1 - t0); }
    function y(v) { return T + (H - T - B) * (1 - v / 100); }
    var maxBar = 1;
    bars.forEach(function (b) {
      var n = b.new_alerts || {};
      maxBar = Math.max(maxBar, (n.urgent || 0) + (n.suspicious || 0) + (n.reminder || 0));
    });
    bars.forEach(function (b) {
      var n = b.new_alerts || {}, bx = x(Date.parse(b.time)), base = H - B;
      LEVELS_A.forEach(function (l) {
        var h = 60 * (n[l] || 0) / maxBar;
        if (h > 0) {
          s.appendChild(svg("rect", { "class": "bar-" + l, x: bx - 3, width: 6, y: base - h, height: h }));
          base -= h;
        }
      });
    });
    var pts = points.filter(function (p) { return !isNaN(Date.parse(p.time)); })
      .map(function (p) { return x(Date.parse(p.time)).toFixed(1) + "," + y(p.score).toFixed(1); });
    if (pts.length) {
      s.appendChild(svg("polyline", { "class": "line", points: pts.join(" ") }));
      pts.forEach(function (p) {
        var xy = p.split(",");
        s.appendChild(svg("circle", { "class": "dot", cx: xy[0], cy: xy[1], r: 3 }));
      });
    }
    [t0, t1].forEach(function (t, i) {
      var lab = svg("text", { x: i ? W - R - 110 : L, y: H - 6 });
      lab.textContent = when(new Date(t).toISOString());
      s.appendChild(lab);
    });
    return s;
  }

  function hostLink(id, name) {
    return el("a", { href: "#/hosts/" + encodeURIComponent(String(id)) }, str(name));
  }

  function hostRow(h) {
    return el("tr", null,
      el("td", null, hostLink(h.id, h.hostname)),
      el("td", { "class": "num" }, scoreText(h.score)),
      el("td", null, band(bandOf(h.score))),
      el("td", { "class": h.online ? "online" : "offline" }, h.online ? "online" : "offline"),
      el("td", null, h.revoked ? "revoked" : str(h.status)),
      el("td", null, when(h.last_seen)),
      el("td", null, [str(h.os), " ", str(h.os_version)]),
      el("td", null, str(h.last_ip)));
  }

  var HOST_HEADERS = ["Host", { label: "Score", num: true }, "Band", "Online", "Status",
    "Last seen", "OS", "Address"];

  function viewOverview() {
    var main = view("Overview");
    Promise.all([api("GET", "/api/v1/overview?days=14"),
      api("GET", "/api/v1/scores/history")]).then(function (res) {
      var o = res[0], hist = res[1];
      var f = o.fleet || {}, fo = (o.findings && o.findings.open) || {},
        ao = (o.alerts && o.alerts.open) || {}, a24 = (o.alerts && o.alerts.last_24h) || {};
      main.appendChild(el("div", { "class": "cards" },
        el("div", { "class": "card", id: "fleet-score" },
          el("div", { "class": "muted" }, "Fleet security score"),
          el("div", { "class": "big band-" + bandOf(f.score) }, scoreText(f.score)),
          band(bandOf(f.score))),
        el("div", { "class": "card" }, el("div", { "class": "muted" }, "Hosts"),
          el("div", { "class": "big" }, str(o.hosts && o.hosts.total)),
          str(o.hosts && o.hosts.online) + " online, " + str(o.hosts && o.hosts.offline) +
            " offline",
          o.hosts && o.hosts.not_scanned ? el("div", { "class": "muted", id: "not-scanned" },
            str(o.hosts.not_scanned) + " with no scan yet") : null),
        el("div", { "class": "card" }, el("div", { "class": "muted" }, "Open risks"),
          LEVELS_F.map(function (l) { return el("div", null, level(l), " ", str(fo[l] || 0)); }),
          el("div", { "class": "muted" }, "baseline failures: " + str((o.findings || {}).baseline || 0))),
        el("div", { "class": "card" }, el("div", { "class": "muted" }, "Open alerts"),
          LEVELS_A.map(function (l) {
            return el("div", null, level(l), " ", str(ao[l] || 0), el("span", { "class": "muted" },
              "  (" + str(a24[l] || 0) + " in 24 h)"));
          }))));
      main.appendChild(el("h2", null, "Score and new alerts"));
      /* The history is sampled hourly; the score of this moment ends the
       * line. */
      main.appendChild(trendChart((hist.points || []).concat(f.score === null ||
        f.score === undefined ? [] : [{ time: o.generated_at, score: f.score }]), o.trend || []));
      main.appendChild(el("h2", null, "Hosts needing attention"));
      main.appendChild(table(HOST_HEADERS, (o.attention || []).map(hostRow)));
      main.appendChild(el("h2", null, "Offline hosts"));
      main.appendChild(table(HOST_HEADERS, (o.offline_hosts || []).map(hostRow)));
    }, function (e) { failed(main, e); });
  }

  function viewHosts() {
    var main = view("Hosts");
    var filter = el("input", { placeholder: "host name", id: "host-filter" });
    var status = el("select", null, el("option", { value: "" }, "all"),
      el("option", { value: "online" }, "online"), el("option", { value: "offline" }, "offline"));
    var box = el("div");
    function load() {
      clear(box);
      listAll("/api/v1/hosts", { hostname: filter.value, status: status.value, sort: "score" }, 5000)
        .then(function (items) {
          box.appendChild(table(HOST_HEADERS, items.map(hostRow)));
        }, function (e) { failed(box, e); });
    }
    main.appendChild(el("div", { "class": "toolbar" }, filter, status,
      el("button", { type: "button", onclick: load }, "Filter")));
    main.appendChild(box);
    load();
  }

  function findingRow(f, withHost) {
    return el("tr", null,
      withHost ? el("td", null, hostLink(f.host_id, f.hostname)) : null,
      el("td", null, level(f.level)),
      el("td", null, str(f.category)),
      el("td", null, el("div", null, str(f.title)), el("div", { "class": "muted" }, str(f.check))),
      el("td", null, evidence(f.evidence)),
      el("td", null, f.remediation ? el("pre", null, str(f.remediation)) : ""),
      el("td", null, str(f.status)));
  }

  function viewHost(id) {
    var main = view("Host");
    Promise.all([api("GET", "/api/v1/hosts/" + encodeURIComponent(id)),
      listAll("/api/v1/findings", { host: id, status: "open" }, 2000),
      listAll("/api/v1/alerts", { host: id }, 500),
      api("GET", "/api/v1/scores/history" + qs({ host: id }))]).then(function (res) {
      var h = res[0];
      clear(main);
      main.appendChild(el("h1", null, str(h.hostname)));
      main.appendChild(el("div", { "class": "cards" },
        el("div", { "class": "card", id: "host-score" },
          el("div", { "class": "muted" }, "Security score"),
          el("div", { "class": "big band-" + bandOf(h.score) }, scoreText(h.score)),
          band(bandOf(h.score))),
        el("div", { "class": "card" },
          el("div", null, el("span", { "class": h.online ? "online" : "offline" },
            h.online ? "online" : "offline"), h.revoked ? " (revoked)" : ""),
          el("div", null, "Last seen " + when(h.last_seen)),
          el("div", null, [str(h.os), " ", str(h.os_version), " ", str(h.arch)]),
          el("div", null, "kernel " + str(h.kernel)),
          el("div", null, "agent " + str(h.agent_version)),
          el("div", null, "address " + str(h.last_ip)))));
      var cats = h.findings_by_category || {};
      main.appendChild(el("h2", null, "Risks by category"));
      main.appendChild(table(["Category"].concat(LEVELS_F.map(function (l) {
        return { label: l, num: true };
      })), Object.keys(cats).map(function (c) {
        return el("tr", null, el("td", null, c), LEVELS_F.map(function (l) {
          return el("td", { "class": "num" }, str(cats[c][l] || 0));
        }));
      })));
      main.appendChild(el("h2", null, "Score"));
      /* Until the first scan the stored score means nothing: no line. */
      main.appendChild(trendChart(h.scanned === false ? [] : res[3].points || [],
        (h.alert_timeline || []).map(function (d) {
          return { time: d.day, new_alerts: d };
        })));
      main.appendChild(el("h2", null, "Alert timeline"));
      main.appendChild(alertTable(res[2], false));
      main.appendChild(el("h2", null, "Open risks"));
      main.appendChild(table(["Level", "Category", "Risk", "Evidence", "Fix", "Status"],
        res[1].map(function (f) { return findingRow(f, false); })));
    }, function (e) { failed(main, e); });
  }

  function cvesOf(f) {
    var ev = f.evidence || {}, out = [];
    String(ev.cves || "").split(/[\s,]+/).forEach(function (c) { if (c) { out.push(c); } });
    if (!out.length && /^CVE-\d+-\d+$/.test(str(f.check))) {
      out.push(f.check);
    }
    return out.length ? out : [str(f.check)];
  }

  function viewVulns() {
    var main = view("Vulnerabilities");
    listAll("/api/v1/findings", { category: "vulnerability", status: "open" }, 20000).then(function (items) {
      var groups = {};
      items.forEach(function (f) {
        var ev = f.evidence || {};
        var key = cvesOf(f).join(", ") + " | " + str(ev.package);
        if (!groups[key]) {
          groups[key] = { cves: cvesOf(f), pkg: str(ev.package), level: f.level, title: f.title,
            fix: f.remediation, hosts: [] };
        }
        groups[key].hosts.push(f);
      });
      var keys = Object.keys(groups).sort(function (a, b) {
        var la = LEVELS_F.indexOf(groups[a].level), lb = LEVELS_F.indexOf(groups[b].level);
        return la - lb || groups[b].hosts.length - groups[a].hosts.length;
      });
      main.appendChild(el("p", { "class": "muted" }, items.length + " open vulnerability findings in " +
        keys.length + " groups (by CVE and package)."));
      keys.forEach(function (k) {
        var g = groups[k];
        main.appendChild(el("div", { "class": "group" },
          el("h3", null, level(g.level), " ", g.cves.join(", "), " in ", g.pkg || "?"),
          el("div", null, str(g.title)),
          g.fix ? el("pre", null, str(g.fix)) : null,
          table(["Host", "Installed", "Fixed in"], g.hosts.map(function (f) {
            var ev = f.evidence || {};
            return el("tr", null, el("td", null, hostLink(f.host_id, f.hostname)),
              el("td", null, str(ev.installed_version)), el("td", null, str(ev.fixed_version)));
          }))));
      });
    }, function (e) { failed(main, e); });
  }

  function viewBaseline() {
    var main = view("Baseline");
    Promise.all([listAll("/api/v1/findings", { category: "baseline", status: "open" }, 20000),
      api("GET", "/api/v1/overview")]).then(function (res) {
      /* Only scanned hosts pass or fail: one not scanned yet has no
       * failures because nothing looked. */
      var hs = res[1].hosts || {}, items = res[0];
      var total = (hs.scanned !== undefined ? hs.scanned : hs.total) || 0;
      var byCheck = {}, failing = {};
      items.forEach(function (f) {
        var k = str(f.check);
        if (!byCheck[k]) {
          byCheck[k] = { level: f.level, title: f.title, fix: f.remediation, hosts: [] };
        }
        byCheck[k].hosts.push(f);
        failing[f.host_id] = true;
      });
      var nFailing = Object.keys(failing).length;
      var rate = total ? Math.round(100 * (total - nFailing) / total) + "%" : "\u2013";
      main.appendChild(el("div", { "class": "cards" },
        el("div", { "class": "card" }, el("div", { "class": "muted" }, "Hosts passing every check"),
          el("div", { "class": "big", id: "baseline-rate" }, rate),
          (total - nFailing) + " of " + total + " scanned hosts"),
        el("div", { "class": "card" }, el("div", { "class": "muted" }, "Failed checks"),
          el("div", { "class": "big" }, String(Object.keys(byCheck).length)),
          items.length + " failures in all")));
      main.appendChild(el("h2", null, "Failed checks"));
      main.appendChild(table(["Level", "Check", { label: "Hosts failing", num: true },
        { label: "Pass rate", num: true }, "Fix"],
        Object.keys(byCheck).sort(function (a, b) {
          return byCheck[b].hosts.length - byCheck[a].hosts.length;
        }).map(function (k) {
          var c = byCheck[k];
          return el("tr", null, el("td", null, level(c.level)),
            el("td", null, el("div", null, str(c.title)), el("div", { "class": "muted" }, k),
              el("div", null, c.hosts.map(function (f, i) {
                return [i ? ", " : "", hostLink(f.host_id, f.hostname)];
              }))),
            el("td", { "class": "num" }, String(c.hosts.length)),
            el("td", { "class": "num" }, total ? Math.round(100 * (total - c.hosts.length) / total) + "%" : ""),
            el("td", null, c.fix ? el("pre", null, str(c.fix)) : ""));
        })));
    }, function (e) { failed(main, e); });
  }

  function viewSecrets() {
    var main = view("Secrets");
    main.appendChild(el("p", { "class": "muted" },
      "Leaked keys and credentials found on hosts. Agents redact the secret itself before sending; only a preview and a fingerprint arrive here."));
    listAll("/api/v1/findings", { category: "secret", status: "open" }, 20000).then(function (items) {
      main.appendChild(table(["Host", "Level", "What", "Where", "Preview", "Fix"], items.map(function (f) {
        var ev = f.evidence || {};
        return el("tr", null, el("td", null, hostLink(f.host_id, f.hostname)),
          el("td", null, level(f.level)),
          el("td", null, el("div", null, str(f.title)), el("div", { "class": "muted" }, str(ev.rule || f.check))),
          el("td", { "class": "evidence" }, str(ev.path) + (ev.line ? ":" + str(ev.line) : "")),
          el("td", { "class": "evidence" }, str(ev.preview)),
          el("td", null, f.remediation ? el("pre", null, str(f.remediation)) : ""));
      })));
    }, function (e) { failed(main, e); });
  }

  /* Alert handling: offered only when the center has the endpoints. */
  var ACTIONS = [
    { action: "handle", label: "Mark handled" },
    { action: "ignore", label: "Ignore" }
  ];

  function handleAlert(a, action, row) {
    var reason = action === "ignore" ? window.prompt("Why ignore this alert?", "") : "";
    if (reason === null) {
      return;
    }
    api("POST", "/api/v1/hosts/" + encodeURIComponent(String(a.host_id)) + "/alerts/" +
      encodeURIComponent(a.id) + "/" + action, reason ? { reason: reason } : {}).then(function () {
      setStatus("Alert " + action + "d.");
      var cell = row.querySelector(".alert-status");
      if (cell) {
        cell.textContent = action === "ignore" ? "ignored" : "handled";
      }
    }, function (e) { setStatus("Could not " + action + " the alert: " + e.message); });
  }

  function alertTable(items, withHost) {
    var admin = state.role === "admin";
    var headers = ["Time", "Level"].concat(withHost ? ["Host"] : [])
      .concat(["Alert", "Subject", "Evidence", "Status"]);
    if (state.handling && admin) {
      headers.push("Actions");
    }
    return table(headers, items.map(function (a) {
      var row = el("tr", { "class": "alert-row" },
        el("td", null, when(a.time)),
        el("td", null, level(a.level)),
        withHost ? el("td", null, hostLink(a.host_id, a.hostname)) : null,
        el("td", null, el("div", { "class": "alert-title" }, str(a.title)),
          el("div", { "class": "muted" }, str(a.type) + " / " + str(a.rule)),
          a.remediation ? el("pre", null, str(a.remediation)) : null),
        el("td", { "class": "alert-subject" }, str(a.subject)),
        el("td", null, evidence(a.evidence)),
        el("td", { "class": "alert-status" }, str(a.status) +
          (a.status_reason ? " (" + str(a.status_reason) + ")" : "")));
      if (state.handling && admin) {
        row.appendChild(el("td", { "class": "actions" }, a.status === "open" ?
          state.handling.map(function (act) {
            return el("button", { type: "button", "data-action": act.action,
              onclick: function () { handleAlert(a, act.action, row); } }, act.label);
          }) : ""));
      }
      return row;
    }));
  }

  function detectHandling() {
    if (state.handling !== null) {
      return Promise.resolve(state.handling);
    }
    return Promise.all(ACTIONS.map(function (a) {
      return probe("/api/v1/hosts/1/alerts/probe/" + a.action);
    })).then(function (found) {
      state.handling = ACTIONS.filter(function (a, i) { return found[i]; });
      if (!state.handling.length) {
        state.handling = false;
      }
      return state.handling;
    });
  }

  function viewAlerts() {
    var main = view("Alerts");
    var lvl = el("select", { id: "alert-level" }, el("option", { value: "" }, "all levels"),
      LEVELS_A.map(function (l) { return el("option", { value: l }, l); }));
    var st = el("select", { id: "alert-status" }, el("option", { value: "open" }, "open"),
      el("option", { value: "" }, "any status"), el("option", { value: "handled" }, "handled"),
      el("option", { value: "ignored" }, "ignored"), el("option", { value: "allowlisted" }, "allowlisted"));
    var box = el("div");
    function load() {
      clear(box);
      Promise.all([detectHandling(),
        listAll("/api/v1/alerts", { level: lvl.value, status: st.value }, 2000)]).then(function (res) {
        if (!state.handling) {
          box.appendChild(el("p", { "class": "muted", id: "no-handling" },
            "This center offers no alert handling actions yet."));
        }
        box.appendChild(alertTable(res[1], true));
      }, function (e) { failed(box, e); });
    }
    main.appendChild(el("div", { "class": "toolbar" }, lvl, st,
      el("button", { type: "button", onclick: load }, "Show")));
    main.appendChild(box);
    load();
  }

  /* Notification settings (the notifications module's API): one rule per
   * alert and finding level; the page edits on/off, mode and channels and
   * sends the whole document back, so the parts it does not show (the
   * schedules) stay as they were. */
  var NOTIFY_SETTINGS = "/api/v1/notifications/settings";

  function viewNotifications() {
    var main = view("Notifications");
    api("GET", NOTIFY_SETTINGS).then(function (settings) {
      return api("GET", "/api/v1/notifications/channels").then(function (ch) {
        renderNotify(main, settings, Array.isArray(ch) ? ch : (ch.items || ch.channels || []));
      }, function () { renderNotify(main, settings, []); });
    }, function (e) {
      if (e.status === 404) {
        main.appendChild(el("p", { "class": "muted", id: "no-notifications" },
          "This center has no notification settings to change yet."));
      } else {
        failed(main, e);
      }
    });
  }

  function schedText(sc) {
    if (!sc) {
      return "";
    }
    var win = sc.from ? (str(sc.from) + "-" + str(sc.to) + " " + (sc.days || []).join(",")) : "any time";
    return win + " (" + str(sc.tz) + ")";
  }

  function renderNotify(main, settings, channels) {
    var admin = state.role === "admin";
    var doc = JSON.parse(JSON.stringify(settings));
    var rows = [];
    [["alerts", LEVELS_A], ["findings", LEVELS_F]].forEach(function (kind) {
      kind[1].forEach(function (l) {
        var rule = (doc[kind[0]] || {})[l];
        if (!rule) {
          return;
        }
        var on = el("input", { type: "checkbox", "class": "notify-enabled",
          "data-rule": kind[0] + "." + l });
        on.checked = !!rule.enabled;
        on.disabled = !admin;
        on.addEventListener("change", function () { rule.enabled = on.checked; });
        var modes = kind[0] === "alerts" ? ["immediate"] : ["immediate", "daily", "weekly"];
        if (modes.indexOf(rule.mode) < 0) {
          modes.push(rule.mode);
        }
        var mode = el("select", null, modes.map(function (m) { return el("option", { value: m }, str(m)); }));
        mode.value = rule.mode;
        mode.disabled = !admin;
        mode.addEventListener("change", function () { rule.mode = mode.value; });
        var names = channels.map(function (c) { return str(c.name); });
        (rule.channels || []).forEach(function (n) { if (names.indexOf(n) < 0) { names.push(n); } });
        var boxes = names.map(function (n) {
          var b = el("input", { type: "checkbox" });
          b.checked = (rule.channels || []).indexOf(n) >= 0;
          b.disabled = !admin;
          b.addEventListener("change", function () {
            var list = (rule.channels || []).filter(function (x) { return x !== n; });
            if (b.checked) {
              list.push(n);
            }
            rule.channels = list;
          });
          return el("label", null, b, " ", n, " ");
        });
        rows.push(el("tr", null, el("td", null, kind[0]), el("td", null, level(l)), el("td", null, on),
          el("td", null, mode), el("td", null, boxes.length ? boxes : el("span", { "class": "muted" }, "no channels")),
          el("td", null, schedText(rule.schedule))));
      });
    });
    main.appendChild(table(["Kind", "Level", "On", "Mode", "Channels", "Schedule"], rows));
    if (admin) {
      main.appendChild(el("div", { "class": "toolbar" }, el("button", { type: "button", id: "notify-save",
        onclick: function () {
          api("PUT", NOTIFY_SETTINGS, doc).then(function () {
            setStatus("Notification settings saved.");
          }, function (e) { setStatus("Could not save: " + e.message); });
        } }, "Save")));
    }
    main.appendChild(el("h2", null, "Channels"));
    main.appendChild(table(["Name", "Kind"], channels.map(function (c) {
      return el("tr", null, el("td", null, str(c.name)), el("td", null, str(c.kind || c.type)));
    })));
  }

  function viewInstall() {
    var main = view("Add a host");
    if (state.role !== "admin") {
      main.appendChild(el("p", { "class": "muted" }, "Adding hosts needs the admin role."));
      return;
    }
    var uses = el("input", { type: "number", min: 1, max: 1000, value: 1, id: "token-uses" });
    var ttl = el("select", { id: "token-ttl" }, ["1h", "24h", "7d"].map(function (t) {
      return el("option", { value: t }, t);
    }));
    ttl.value = "24h";
    var out = el("div", { id: "install-out" });
    function create() {
      clear(out);
      api("POST", "/api/v1/enroll-tokens", { uses: Number(uses.value), expires_in: ttl.value,
        note: "console, " + state.user }).then(function (t) {
        var center = location.origin;
        /* The token goes through standard input ("-"), so it does not
         * show in the host's process list. Both values are quoted for the
         * shell; neither can hold a quote (an origin, a "vet1." token). */
        var cmd = "echo '" + t.token + "' | sudo vigil agent enroll '" + center + "' - && " +
          "sudo systemctl enable --now vigil-agent && sudo systemctl restart vigil-agent";
        out.appendChild(el("p", null, "Run this on the new host (the token works " + str(t.uses) +
          " time(s), until " + when(t.expires_at) + "; it is shown only once):"));
        var pre = el("pre", { id: "install-command" }, cmd);
        out.appendChild(pre);
        out.appendChild(el("button", { type: "button", "class": "secondary", onclick: function () {
          if (navigator.clipboard) {
            navigator.clipboard.writeText(cmd).then(function () { setStatus("Copied."); },
              function () { setStatus("Select the command and copy it."); });
          }
        } }, "Copy"));
      }, function (e) { failed(out, e); });
    }
    main.appendChild(el("p", null, "Create an enrollment token and run the command it gives on the host to protect."));
    main.appendChild(el("div", { "class": "toolbar" }, el("label", null, "Hosts ", uses),
      el("label", null, "Valid for ", ttl),
      el("button", { type: "button", id: "token-create", onclick: create }, "Create token")));
    main.appendChild(out);
  }

  /* ---- users (admins only) ---- */

  /* The console's users: add (a generated password is shown once),
   * change a role, unlock, reset a password, delete. The center refuses
   * demoting or deleting the last admin and deleting oneself; its message
   * is shown as it comes. */
  function viewUsers() {
    var main = view("Users");
    if (state.role !== "admin") {
      main.appendChild(el("p", { "class": "muted" }, "Managing users needs the admin role."));
      return;
    }
    var msg = el("p", { "class": "error", id: "users-error", role: "alert" });
    var secret = el("div", { id: "users-secret" });
    var list = el("div", { id: "users-list" });
    var newName = el("input", { id: "user-new-name", maxlength: 64, autocomplete: "off",
      placeholder: "name" });
    var newRole = el("select", { id: "user-new-role" }, ["viewer", "admin"].map(function (r) {
      return el("option", { value: r }, r);
    }));

    function fail(e) {
      msg.textContent = e.message;
    }
    function showPassword(u) {
      clear(secret);
      secret.appendChild(el("p", null, "New password for " + str(u.name) +
        ". It is shown only this once: hand it over safely."));
      secret.appendChild(el("pre", { id: "user-password" }, str(u.password)));
    }
    function done(what) {
      return function (u) {
        msg.textContent = "";
        clear(secret);
        if (u && u.password) {
          showPassword(u);
        }
        setStatus(what);
        load();
      };
    }
    function button(label, cls, fn) {
      return el("button", { type: "button", "class": cls, onclick: fn }, label);
    }
    function row(u) {
      var name = str(u.name), path = "/api/v1/users/" + encodeURIComponent(name);
      var role = el("select", { "class": "user-role", "aria-label": "Role of " + name },
        ["viewer", "admin"].map(function (r) { return el("option", { value: r }, r); }));
      role.value = str(u.role);
      role.addEventListener("change", function () {
        api("PATCH", path, { role: role.value }).then(done("Role of " + name + " changed."),
          function (e) { role.value = str(u.role); fail(e); });
      });
      var acts = [];
      if (u.locked) {
        acts.push(button("Unlock", "user-unlock", function () {
          api("PATCH", path, { unlock: true }).then(done(name + " unlocked."), fail);
        }));
      }
      acts.push(button("Reset password", "secondary user-reset", function () {
        if (window.confirm("Give " + name + " a new password? Their sessions end.")) {
          api("POST", path + "/password", {}).then(done("Password of " + name + " reset."), fail);
        }
      }));
      if (name !== state.user) {
        acts.push(button("Delete", "secondary user-delete", function () {
          if (window.confirm("Delete the user " + name + "?")) {
            api("DELETE", path).then(done(name + " deleted."), fail);
          }
        }));
      }
      return el("tr", { "data-user": name }, el("td", null, name), el("td", null, role),
        el("td", null, u.totp ? "on" : "off"), el("td", null, u.locked ? "locked" : ""),
        el("td", null, when(u.created_at)), el("td", null, when(u.last_login)),
        el("td", { "class": "actions" }, acts));
    }
    function load() {
      api("GET", "/api/v1/users").then(function (res) {
        clear(list);
        list.appendChild(table(["Name", "Role", "Second factor", "Locked", "Created",
          "Last login", ""], (res.items || []).map(row)));
      }, fail);
    }
    function add() {
      api("POST", "/api/v1/users", { name: newName.value, role: newRole.value }).then(function (u) {
        newName.value = "";
        done(str(u.name) + " added.")(u);
      }, fail);
    }

    main.appendChild(el("div", { "class": "toolbar" }, el("label", null, "New user ", newName),
      el("label", null, "Role ", newRole),
      button("Add user", "", add)));
    main.appendChild(msg);
    main.appendChild(secret);
    main.appendChild(list);
    load();
  }

  /* ---- routing ---- */

  function route() {
    if (!state.user) {
      return;
    }
    var h = location.hash.replace(/^#\/?/, "").split("/");
    var name = h[0] || "overview";
    document.querySelectorAll("#nav a").forEach(function (a) {
      a.className = a.getAttribute("data-view") === name ? "active" : "";
    });
    if ($("nav-users")) {
      $("nav-users").hidden = state.role !== "admin";
    }
    setStatus("");
    switch (name) {
    case "hosts":
      if (h[1] && /^\d+$/.test(h[1])) {
        viewHost(h[1]);
      } else {
        viewHosts();
      }
      break;
    case "vulnerabilities": viewVulns(); break;
    case "baseline": viewBaseline(); break;
    case "secrets": viewSecrets(); break;
    case "alerts": viewAlerts(); break;
    case "notifications": viewNotifications(); break;
    case "install": viewInstall(); break;
    case "users": viewUsers(); break;
    default: viewOverview();
    }
  }

  function start() {
    $("login-form").addEventListener("submit", onLogin);
    $("logout").addEventListener("click", onLogout);
    window.addEventListener("hashchange", route);
    api("GET", "/api/v1/session").then(loggedIn, function () { showLogin(""); });
  }

  document.addEventListener("DOMContentLoaded", start);
}());
