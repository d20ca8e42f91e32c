// The payment page's live parts: the status follows the server's events, the
// time left counts down, copy buttons, and the network picker. The page is
// complete without this script; it only keeps it current.
(function () {
  "use strict";
  var root = document.getElementById("checkout");
  if (!root) return;
  var states = ["waiting", "seen", "paid", "partial", "expired"];
  var final = { paid: true, expired: true };

  // The countdown runs on this device's clock from the seconds the server
  // last reported, so a wrong clock on the phone does not skew it.
  var secondsLeft = Number(root.dataset.secondsLeft) || 0;
  var countedFrom = Date.now();
  var timeLeft = document.getElementById("time-left");

  function pad(n) { return n < 10 ? "0" + n : String(n); }
  function formatLeft(s) {
    if (s <= 0) return "0:00";
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    return h > 0 ? h + ":" + pad(m) + ":" + pad(sec) : m + ":" + pad(sec);
  }
  function tick() {
    var left = Math.max(0, secondsLeft - Math.floor((Date.now() - countedFrom) / 1000));
    if (timeLeft) timeLeft.textContent = formatLeft(left);
  }
  tick();
  setInterval(tick, 1000);

  var until = root.querySelector(".time .until");
  var expiresAt = Number(root.dataset.expiresAt);
  if (until && expiresAt) {
    until.textContent = "Pay by " + new Date(expiresAt * 1000).toLocaleString([], {
      dateStyle: "medium", timeStyle: "short"
    });
  }

  function setText(field, value) {
    if (value === undefined || value === null) return;
    root.querySelectorAll('[data-field="' + field + '"]').forEach(function (el) {
      el.textContent = value;
    });
  }

  function show(view) {
    if (states.indexOf(view.state) < 0) return;
    states.forEach(function (s) { root.classList.remove("state-" + s); });
    root.classList.add("state-" + view.state);
    root.dataset.state = view.state;
    setText("paid_amount", view.paid_amount);
    if (typeof view.seconds_left === "number") {
      secondsLeft = view.seconds_left;
      countedFrom = Date.now();
      tick();
    }
  }

  // Live status: server-sent events, or polling where they are missing.
  function follow() {
    if (window.EventSource) {
      var source = new EventSource(root.dataset.eventsUrl);
      source.addEventListener("state", function (e) {
        var view;
        try { view = JSON.parse(e.data); } catch (err) { return; }
        show(view);
        if (final[view.state]) source.close();
      });
      return;
    }
    var poll = function () {
      var req = new XMLHttpRequest();
      req.open("GET", root.dataset.stateUrl);
      req.onload = function () {
        var view;
        try { view = JSON.parse(req.responseText); } catch (err) { view = null; }
        if (view) show(view);
        if (!view || !final[view.state]) setTimeout(poll, 3000);
      };
      req.onerror = function () { setTimeout(poll, 5000); };
      req.send();
    };
    poll();
  }
  if (!final[root.dataset.state]) follow();

  // Copy buttons, shown only where the script runs.
  function copy(text) {
    if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
    return new Promise(function (resolve, reject) {
      var area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.style.position = "fixed";
      area.style.opacity = "0";
      document.body.appendChild(area);
      area.select();
      var ok = false;
      try { ok = document.execCommand("copy"); } catch (err) { ok = false; }
      document.body.removeChild(area);
      if (ok) { resolve(); } else { reject(new Error("copy refused")); }
    });
  }
  root.querySelectorAll("button.copy").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      copy(button.dataset.copy).then(function () {
        button.textContent = "Copied";
        button.classList.add("copied");
        setTimeout(function () {
          button.textContent = "Copy";
          button.classList.remove("copied");
        }, 2000);
      }, function () {
        button.textContent = "Select and copy";
      });
    });
  });

  // Several networks: one shows at a time, the payer picks.
  var picker = root.querySelector(".picker");
  if (picker) {
    var buttons = picker.querySelectorAll("button");
    var networks = root.querySelectorAll(".network");
    var pick = function (i) {
      buttons.forEach(function (b) { b.setAttribute("aria-pressed", b.dataset.network === i ? "true" : "false"); });
      networks.forEach(function (n) { n.hidden = n.dataset.network !== i; });
    };
    buttons.forEach(function (b) {
      b.addEventListener("click", function () { pick(b.dataset.network); });
    });
    picker.hidden = false;
    pick("0");
  }
})();
