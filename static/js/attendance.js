// Attendance on a phone with an interrupted connection. The page works without this script (a
// plain form posted to the server); with it:
// - each tick or score becomes a mark kept on this device (localStorage) with an id made here,
//   then sent to the server as JSON; the server stores each id once, so a mark sent twice (a
//   lost reply, a reload mid-send) counts once, and a sent mark is forgotten here;
// - with no connection the marks wait, and are sent when the connection returns;
// - a search box filters the list by name or service number; a walk-in (service number) is
//   added as a mark, checked against the mission's roster when it reaches the server;
// - the page is kept by the service worker (/sw.js), so it opens again without a connection.
(function () {
  "use strict";
  var form = document.querySelector("form[data-attendance]");
  if (!form || !window.fetch || !window.JSON || !storageWorks()) { return; }
  var text = form.dataset;
  var session = text.attendance;
  var KEY = "cpt-attendance-" + session + "-" + text.user;
  var state = form.querySelector(".attendance-state");
  var search = form.querySelector("#attendance-search");
  var list = form.querySelector(".attendance-list");
  var refused = {};

  function storageWorks() {
    try { localStorage.setItem("cpt-test", "1"); localStorage.removeItem("cpt-test"); return true; } catch (e) { return false; }
  }
  function outbox() {
    try { return JSON.parse(localStorage.getItem(KEY)) || []; } catch (e) { return []; }
  }
  function save(marks) {
    try { localStorage.setItem(KEY, JSON.stringify(marks)); } catch (e) { /* full: the plain form still posts */ }
  }
  function newId() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID().replace(/-/g, ""); }
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  function csrfToken() {
    var field = form.querySelector("input[name=csrf_token]");
    return field ? field.value : "";
  }

  // ---- marks ------------------------------------------------------------------------------------

  function rowOf(number) {
    return list.querySelector("li[data-person='" + CSS.escape(number) + "']");
  }
  function markFromRow(row) {
    var present = row.querySelector("input.present");
    var score = row.querySelector("input.score-input");
    var value = score && score.value.trim() !== "" ? Number(score.value) : null;
    if (value !== null && present && !present.checked) { present.checked = true; }  // a score means they sat the quiz
    return { person: row.dataset.person, present: Boolean(present && present.checked),
             score: value !== null && isFinite(value) ? Math.round(value) : null };
  }
  function remember(mark) {
    // A mark not yet answered by the server is replaced by the newer one: were the older one to have
    // arrived after all, the newer (made later by the same trainer) still decides.
    var marks = outbox().filter(function (m) { return m.person !== mark.person; });
    mark.id = newId();
    mark.at = new Date().toISOString();
    marks.push(mark);
    save(marks);
    delete refused[mark.person];
    render();
    flush();
  }

  // ---- sending ------------------------------------------------------------------------------------

  var flushing = null;
  var again = false;
  var lastError = "";

  function flush() {
    if (flushing) { again = true; return flushing; }
    flushing = send().then(function () {
      flushing = null;
      render();
      if (again) { again = false; return flush(); }
      retryLater();
    });
    return flushing;
  }

  // As in offline.js: the browser may think it is online and never fire "online", so what could
  // not be sent is tried again after 2, 4, 8... s, up to a minute.
  var retryDelay = 2000;
  var retryTimer = null;

  function retryLater() {
    var waiting = outbox().some(function (m) { return !refused[m.person]; });
    if (!waiting) { retryDelay = 2000; return; }
    if (retryTimer || !navigator.onLine) { return; }
    retryTimer = setTimeout(function () { retryTimer = null; flush(); }, retryDelay);
    retryDelay = Math.min(retryDelay * 2, 60000);
  }

  async function send() {
    var marks = outbox().filter(function (m) { return !refused[m.person]; });
    if (!marks.length) { return; }
    if (!navigator.onLine) { lastError = "offline"; return; }
    var response;
    try {
      response = await fetch(text.syncUrl, {
        method: "POST", credentials: "same-origin", redirect: "error",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
        body: JSON.stringify({ marks: marks })
      });
    } catch (e) { lastError = "offline"; return; }
    var body = {};
    try { body = await response.json(); } catch (e) { body = {}; }
    if (response.ok) {
      var done = {};
      (body.accepted || []).concat(body.duplicate || []).forEach(function (id) { done[id] = true; });
      save(outbox().filter(function (m) { return !done[m.id]; }));
      lastError = "";
      return;
    }
    if (response.status === 422 && body.refused) {
      // Nothing was stored: set the refused marks aside (shown with the reason), send the others again.
      outbox().forEach(function (m) { if (body.refused[m.id]) { refused[m.person] = body.refused[m.id]; } });
      lastError = "";
      again = true;
      return;
    }
    lastError = "failed";
  }

  // ---- showing ------------------------------------------------------------------------------------

  function render() {
    var marks = outbox();
    var waiting = {};
    marks.forEach(function (m) { waiting[m.person] = true; });
    list.querySelectorAll("li[data-person]").forEach(function (row) {
      var person = row.dataset.person;
      row.dataset.state = refused[person] ? "refused" : waiting[person] ? "waiting" : "";
      var note = row.querySelector(".refusal");
      if (refused[person]) {
        if (!note) { note = document.createElement("p"); note.className = "error refusal"; row.appendChild(note); }
        note.textContent = text.refused + " " + refused[person];
      } else if (note) { note.remove(); }
    });
    var lines = [];
    var count = marks.filter(function (m) { return !refused[m.person]; }).length;
    if (!navigator.onLine) { lines.push(text.offline); }
    if (count) { lines.push(text.waiting.replace("{n}", count)); }
    if (count && lastError === "failed" && navigator.onLine) { lines.push(text.failed); }
    if (!count && !Object.keys(refused).length && state.dataset.sentOnce) { lines.push(text.sent); }
    state.textContent = lines.join(" ");
    state.hidden = !lines.length;
    state.classList.toggle("is-offline", !navigator.onLine);
    if (count) { state.dataset.sentOnce = "1"; }
  }

  // ---- walk-ins -----------------------------------------------------------------------------------

  function addWalkIn() {
    var field = form.querySelector("[name=walk_in]");
    var scoreField = form.querySelector("[name=walk_in_score]");
    var number = field.value.trim();
    if (!number) { field.focus(); return; }
    var row = rowOf(number);
    if (!row) {
      row = document.createElement("li");
      row.className = "attendance-row";
      row.dataset.person = number;
      row.dataset.name = number.toLowerCase();
      var label = document.createElement("label");
      label.className = "check";
      var tick = document.createElement("input");
      tick.type = "checkbox";
      tick.className = "present";
      var who = document.createElement("span");
      who.className = "who";
      who.textContent = number + " (" + text.unchecked + ")";
      label.appendChild(tick);
      label.appendChild(document.createTextNode(" "));
      label.appendChild(who);
      var scoreLabel = document.createElement("label");
      scoreLabel.className = "score";
      var score = document.createElement("input");
      score.type = "number"; score.min = 0; score.max = 100; score.inputMode = "numeric";
      score.className = "score-input";
      score.setAttribute("aria-label", number);
      scoreLabel.appendChild(score);
      row.appendChild(label);
      row.appendChild(scoreLabel);
      list.appendChild(row);
    }
    row.querySelector("input.present").checked = true;
    if (scoreField.value.trim() !== "") { row.querySelector("input.score-input").value = scoreField.value.trim(); }
    field.value = "";
    scoreField.value = "";
    remember(markFromRow(row));
  }

  // ---- keeping the page for offline use -----------------------------------------------------------

  async function keepPage() {
    if (!("serviceWorker" in navigator) || !window.caches || !navigator.onLine) { return; }
    try {
      await navigator.serviceWorker.register(text.sw, { scope: "/" });
      var cache = await caches.open("cpt-sessions");
      var assets = Array.prototype.map.call(document.querySelectorAll("link[rel=stylesheet], script[src]"),
        function (node) { return node.href || node.src; });
      await cache.addAll(assets);
      await cache.add(location.pathname);
    } catch (e) { /* the page still works while it stays open */ }
  }

  // ---- start ----------------------------------------------------------------------------------------

  // What this device holds but has not sent wins over the page (a saved copy may be older).
  outbox().forEach(function (mark) {
    var row = rowOf(mark.person);
    if (!row) { return; }
    row.querySelector("input.present").checked = mark.present;
    row.querySelector("input.score-input").value = mark.score === null ? "" : mark.score;
  });
  list.addEventListener("change", function (event) {
    var row = event.target.closest("li[data-person]");
    if (row) { remember(markFromRow(row)); }
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (event.submitter && event.submitter.name === "add_walk_in") { addWalkIn(); return; }
    flush();
  });
  form.querySelector("[name=walk_in]").addEventListener("keydown", function (event) {
    if (event.key === "Enter") { event.preventDefault(); addWalkIn(); }
  });
  search.parentNode.hidden = false;
  search.addEventListener("input", function () {
    var needle = search.value.trim().toLowerCase();
    list.querySelectorAll("li[data-person]").forEach(function (row) {
      row.hidden = Boolean(needle) && row.dataset.name.indexOf(needle) < 0 && row.dataset.person.toLowerCase().indexOf(needle) < 0;
    });
  });
  // Signing out clears this device's storage: send what waits first.
  var signOut = document.querySelector("form[action$='/sign-out']");
  if (signOut) {
    signOut.addEventListener("submit", function (event) {
      if (!outbox().length) { return; }
      event.preventDefault();
      flush().then(function () { signOut.submit(); });
    });
  }
  window.addEventListener("online", function () {
    clearTimeout(retryTimer);
    retryTimer = null;
    retryDelay = 2000;
    render();
    flush();
  });
  window.addEventListener("offline", render);
  render();
  keepPage();
  flush();
})();
