// Keyboard and copy buttons for the review queue's pages. Served as a
// static file (the Content-Security-Policy allows no inline script); it
// never builds HTML from page content: it only moves a selection, submits
// the forms already on the page, and copies text with textContent/value.
(function () {
  "use strict";

  function csrf() {
    var el = document.querySelector('input[name="csrf_token"]');
    return el ? el.value : "";
  }

  // Submit a POST form for action on a case (used by "c" on the queue).
  function post(action) {
    var f = document.createElement("form");
    f.method = "post";
    f.action = action;
    var t = document.createElement("input");
    t.type = "hidden";
    t.name = "csrf_token";
    t.value = csrf();
    f.appendChild(t);
    document.body.appendChild(f);
    f.submit();
  }

  var help = document.getElementById("help");
  function toggleHelp(show) {
    if (!help) return;
    if (show === undefined) show = help.classList.contains("hidden");
    help.classList.toggle("hidden", !show);
  }
  document.querySelectorAll(".help-open").forEach(function (b) {
    b.addEventListener("click", function () { toggleHelp(true); });
  });
  document.querySelectorAll(".help-close").forEach(function (b) {
    b.addEventListener("click", function () { toggleHelp(false); });
  });

  // Copy buttons: data-copy-from names the element whose text is copied.
  document.querySelectorAll("button.copy").forEach(function (b) {
    b.addEventListener("click", function () {
      var src = document.getElementById(b.getAttribute("data-copy-from"));
      if (!src) return;
      var text = src.value !== undefined && src.tagName === "TEXTAREA" ? src.value : src.textContent;
      var done = function () {
        b.classList.add("copied");
        var label = b.textContent;
        b.textContent = "コピーしました";
        setTimeout(function () { b.textContent = label; b.classList.remove("copied"); }, 1500);
      };
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(text).then(done, function () {});
      }
    });
  });

  // Rows: click opens, j/k move, Enter opens, c claims.
  var rows = Array.prototype.slice.call(document.querySelectorAll("tr.row"));
  var sel = -1;
  function select(i) {
    if (rows.length === 0) return;
    if (i < 0) i = 0;
    if (i >= rows.length) i = rows.length - 1;
    if (sel >= 0 && rows[sel]) rows[sel].classList.remove("selected");
    sel = i;
    rows[sel].classList.add("selected");
    rows[sel].scrollIntoView({ block: "nearest" });
  }
  rows.forEach(function (r, i) {
    r.addEventListener("click", function (e) {
      var t = e.target;
      if (t.closest("a, input, button, select, label")) return;
      select(i);
      window.location.href = r.getAttribute("data-href");
    });
  });
  if (rows.length > 0) select(0);

  // Categories by number, in the hotline's order.
  var cats = { "1": "illegal", "2": "critical_crime", "3": "suicide_inducement", "4": "criminal_recruitment", "5": "none" };

  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    var t = e.target;
    if (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable)) {
      if (e.key === "Escape") t.blur();
      return;
    }
    var k = e.key;
    if (k === "?") { toggleHelp(); e.preventDefault(); return; }
    if (k === "Escape") { toggleHelp(false); return; }
    if (k === "j") { select(sel + 1); e.preventDefault(); return; }
    if (k === "k") { select(sel - 1); e.preventDefault(); return; }
    if (k === "Enter" && sel >= 0 && rows[sel] && t === document.body) {
      window.location.href = rows[sel].getAttribute("data-href");
      e.preventDefault();
      return;
    }
    if (k === "c") {
      var claim = document.getElementById("claim-form");
      if (claim) { claim.submit(); e.preventDefault(); return; }
      if (sel >= 0 && rows[sel] && csrf()) {
        post("/cases/" + rows[sel].getAttribute("data-case") + "/claim");
        e.preventDefault();
      }
      return;
    }
    if (cats[k]) {
      var j = document.getElementById("judgement");
      if (j) {
        j.value = cats[k];
        var btn = document.getElementById("decide-button");
        if (btn) { btn.focus(); btn.scrollIntoView({ block: "center" }); }
        e.preventDefault();
      }
      return;
    }
    if (k === "r") {
      var rec = document.getElementById("recipient");
      if (rec) { rec.scrollIntoView({ block: "center" }); rec.focus(); e.preventDefault(); }
    }
  });
})();
