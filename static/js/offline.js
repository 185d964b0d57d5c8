// Study with an interrupted connection: README "Offline study" says what this adds to pages that
// work without it (courses saved on the device, quiz answers and lessons read kept and sent later).
(function () {
  "use strict";
  var status = document.getElementById("offline-status");
  if (!status || !window.fetch || !window.JSON || !storageWorks()) { return; }
  var text = status.dataset;
  var user = text.user;
  var KEY = "cpt-outbox";
  var COURSES = "cpt-offline-courses";
  var path = location.pathname;
  var attemptPage = /^\/quiz\/attempts\/(\d+)(?:\/q\/\d+)?$/.exec(path);
  var finishPage = /^\/quiz\/attempts\/(\d+)\/finish$/.exec(path);
  var resultPage = /^\/quiz\/attempts\/(\d+)\/result$/.exec(path);
  var sentSomething = false;
  var closed = {};

  function storageWorks() {
    try { localStorage.setItem("cpt-test", "1"); localStorage.removeItem("cpt-test"); return true; } catch (e) { return false; }
  }
  function read(key, empty) {
    try { return JSON.parse(localStorage.getItem(key)) || empty; } catch (e) { return empty; }
  }
  function write(key, value) {
    try { localStorage.setItem(key, JSON.stringify(value)); } catch (e) { /* full: the page still posts */ }
  }
  function outbox() {
    var box = read(KEY, {});
    box.answers = box.answers || {};
    box.lessons = box.lessons || {};
    return box;
  }
  function csrfToken() {
    var field = document.querySelector("input[name=csrf_token]");
    return field ? field.value : "";
  }
  function same(a, b) { return JSON.stringify(a) === JSON.stringify(b); }
  function say(template, n) { return template.replace("{n}", n); }

  // ---- sending what waits on this device -------------------------------------------------------

  var flushing = null;
  var again = false;

  function flush() {
    if (flushing) { again = true; return flushing; }
    flushing = sendAll().then(function () {
      flushing = null;
      render();
      if (again) { again = false; return flush(); }
      retryLater();
    });
    return flushing;
  }

  // On a weak link the browser may think it is online and then never fire "online": what could
  // not be sent is tried again after 2, 4, 8... s, up to a minute.
  var retryDelay = 2000;
  var retryTimer = null;

  function retryLater() {
    var waiting = pending();
    if (!waiting.answers && !waiting.lessons) { retryDelay = 2000; return; }
    if (retryTimer || !navigator.onLine) { return; }
    retryTimer = setTimeout(function () { retryTimer = null; flush(); }, retryDelay);
    retryDelay = Math.min(retryDelay * 2, 60000);
  }

  async function sendAll() {
    var box = outbox();
    var byAttempt = {};
    Object.keys(box.answers).forEach(function (key) {
      var entry = box.answers[key];
      if (entry.u === user && !entry.sent) { (byAttempt[entry.a] = byAttempt[entry.a] || {})[entry.q] = entry.v; }
    });
    for (var attempt in byAttempt) { await sendAnswers(attempt, byAttempt[attempt]); }
    for (var lesson in box.lessons) {
      if (box.lessons[lesson].u === user) { await sendLesson(lesson, box.lessons[lesson]); }
    }
  }

  async function sendAnswers(attempt, answers) {
    var response;
    try {
      response = await fetch(text.answersUrl.replace("/0/", "/" + attempt + "/"), {
        method: "POST", credentials: "same-origin", redirect: "error",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
        body: JSON.stringify({ answers: answers })
      });
    } catch (e) { return markRetry(attempt, answers, "offline"); }  // no connection: keep them
    var done = response.ok;
    var refused = response.status === 409 || response.status === 403 || response.status === 404;
    // e.g. an old CSRF token or a server error: keep them, and say it failed
    if (!done && !refused) { return markRetry(attempt, answers, "failed"); }
    var box = outbox();
    Object.keys(answers).forEach(function (question) {
      var key = attempt + ":" + question;
      var entry = box.answers[key];
      if (!entry || !same(entry.v, answers[question])) { return; }  // changed meanwhile: sent next time
      if (done) { entry.sent = true; sentSomething = true; } else { delete box.answers[key]; closed[key] = true; }
    });
    write(KEY, box);
  }

  // Why an answer waits: "offline" (never reached the server) or "failed" (an error reply). Until a
  // send is tried it is only "sending", not "saved on this device".
  function markRetry(attempt, answers, why) {
    var box = outbox();
    Object.keys(answers).forEach(function (question) {
      var entry = box.answers[attempt + ":" + question];
      if (entry && same(entry.v, answers[question]) && !entry.sent) { entry.retry = why; }
    });
    write(KEY, box);
  }

  function waitsHere(entry) {
    return !entry.sent && (!navigator.onLine || Boolean(entry.retry));
  }

  async function sendLesson(lesson, entry) {
    var response;
    try {
      var body = new URLSearchParams();
      body.set("csrf_token", csrfToken());
      // The server answers with a redirect to the next page, which need not be fetched.
      response = await fetch(entry.url, { method: "POST", body: body, credentials: "same-origin", redirect: "manual" });
    } catch (e) { return; }
    if (response.type !== "opaqueredirect" && !response.ok) { return; }
    var box = outbox();
    delete box.lessons[lesson];
    write(KEY, box);
    sentSomething = true;
  }

  function pending() {
    var box = outbox();
    var answers = 0;
    var lessons = 0;
    Object.keys(box.answers).forEach(function (key) { if (box.answers[key].u === user && waitsHere(box.answers[key])) { answers++; } });
    Object.keys(box.lessons).forEach(function (key) { if (box.lessons[key].u === user) { lessons++; } });
    return { answers: answers, lessons: lessons };
  }

  function render() {
    var waiting = pending();
    var lines = [];
    if (!navigator.onLine) { lines.push(text.offline); }
    if (waiting.answers) { lines.push(say(text.answersPending, waiting.answers)); }
    if (waiting.lessons) { lines.push(say(text.lessonsPending, waiting.lessons)); }
    if (!lines.length && sentSomething) { lines.push(text.allSent); }
    status.textContent = "";
    lines.forEach(function (line) {
      var p = document.createElement("p");
      p.textContent = line;
      status.appendChild(p);
    });
    status.hidden = !lines.length;
    status.classList.toggle("is-offline", !navigator.onLine);
    if (attemptPage) { renderAnswers(attemptPage[1]); }
  }

  window.addEventListener("online", function () {
    clearTimeout(retryTimer);
    retryTimer = null;
    retryDelay = 2000;
    render();
    flush();
  });
  window.addEventListener("offline", render);

  // ---- quiz pages -------------------------------------------------------------------------------

  // No question type is known here: a type's snippet posts form controls named q<question id>,
  // read as the form posts them (ticked boxes and radios their value, other fields what they hold).
  var ANSWER_FIELDS = "input[name^=q], select[name^=q], textarea[name^=q]";

  function questionsOnPage(form) {
    return Array.prototype.map.call(form.querySelectorAll("fieldset.question"), function (fieldset) {
      var input = fieldset.querySelector(ANSWER_FIELDS);
      return input ? { fieldset: fieldset, name: input.name, id: input.name.slice(1) } : null;
    }).filter(Boolean);
  }

  function fields(form, name) {
    return Array.prototype.filter.call(form.elements, function (field) { return field.name === name; });
  }
  function checkable(field) { return field.type === "checkbox" || field.type === "radio"; }

  function chosen(form, name) {
    var values = [];
    fields(form, name).forEach(function (field) {
      if (checkable(field)) { if (field.checked) { values.push(field.value); } } else if (field.tagName === "SELECT") {
        Array.prototype.forEach.call(field.selectedOptions, function (option) { if (option.value) { values.push(option.value); } });
      } else if (field.value !== "") { values.push(field.value); }
    });
    return values;
  }

  function restore(form, name, values) {
    fields(form, name).forEach(function (field, index) {
      if (checkable(field)) { field.checked = values.indexOf(field.value) >= 0; } else if (field.tagName === "SELECT") {
        Array.prototype.forEach.call(field.options, function (option) { option.selected = values.indexOf(option.value) >= 0; });
      } else { field.value = values[index] || ""; }
    });
  }

  function remember(attempt, question, values) {
    var box = outbox();
    var key = attempt + ":" + question;
    var entry = box.answers[key];
    if (entry && same(entry.v, values)) { return; }
    box.answers[key] = { u: user, a: attempt, q: question, v: values, sent: false, t: Date.now() };
    write(KEY, box);
  }

  function renderAnswers(attempt) {
    var form = document.querySelector("form.attempt-form");
    if (!form) { return; }
    var box = outbox();
    questionsOnPage(form).forEach(function (question) {
      var key = attempt + ":" + question.id;
      var entry = box.answers[key];
      var line = question.fieldset.querySelector(".answer-state");
      if (!line) {
        line = document.createElement("p");
        line.className = "answer-state";
        line.setAttribute("aria-live", "polite");
        question.fieldset.appendChild(line);
      }
      var state = "";
      if (closed[key]) { state = "closed"; } else if (entry && !entry.sent) {
        state = entry.retry === "failed" && navigator.onLine ? "failed" : waitsHere(entry) ? "device" : "sending";
      } else if (entry || chosen(form, question.name).length) { state = "sent"; }
      var says = { closed: text.answerClosed, device: text.answerDevice, failed: text.answerFailed,
                   sending: text.answerSending, sent: text.answerSent };
      line.textContent = says[state] || "";
      line.dataset.state = state;
      line.hidden = !state;
    });
  }

  // The page of question `number` of this attempt (a saved copy opens offline), or null past either end.
  function questionPage(number) {
    var total = document.querySelectorAll(".question-nav .question-go").length;
    var base = /\/q\/\d+$/.test(path) ? path.replace(/\/q\/\d+$/, "") : null;
    return base && number >= 1 && number <= total ? base + "/q/" + number : null;
  }
  function neighbour(step) {
    var here = /\/q\/(\d+)$/.exec(path);
    return here ? questionPage(Number(here[1]) + step) : null;
  }

  function setUpAttempt(attempt) {
    var form = document.querySelector("form.attempt-form");
    if (!form) { return; }
    var box = outbox();
    // What this device chose last wins over a saved copy of the page (it may be older).
    questionsOnPage(form).forEach(function (question) {
      var entry = box.answers[attempt + ":" + question.id];
      if (!entry || entry.u !== user) { return; }
      restore(form, question.name, entry.v);
    });
    form.addEventListener("change", function (event) {
      var name = event.target.name || "";
      if (!/^q\d+$/.test(name)) { return; }
      remember(attempt, name.slice(1), chosen(form, name));
      render();
      flush();
    });
    var resubmitting = false;
    form.addEventListener("submit", function (event) {
      if (resubmitting) { return; }
      var button = event.submitter;
      questionsOnPage(form).forEach(function (question) { remember(attempt, question.id, chosen(form, question.name)); });
      if (!navigator.onLine) {
        event.preventDefault();
        render();
        var target = button && button.name === "next" ? neighbour(1) : button && button.name === "previous" ? neighbour(-1)
          : button && button.name === "go" ? questionPage(Number(button.value)) : null;
        if (target) { location.href = target; } else if (button && button.name === "finish") { showBlocked(); }
        return;
      }
      if (!waitingFor(attempt)) { return; }
      // Answers of other pages still wait on this device: send them before the server grades anything.
      event.preventDefault();
      flush().then(function () {
        if (button && button.name === "finish" && waitingFor(attempt)) { return showBlocked(); }
        resubmitting = true;
        form.requestSubmit(button);
      });
    });
    warmAttemptPages();
  }

  function waitingFor(attempt) {
    var box = outbox();
    return Object.keys(box.answers).some(function (key) {
      var entry = box.answers[key];
      return entry.u === user && String(entry.a) === String(attempt) && !entry.sent;
    });
  }

  function showBlocked() {
    status.hidden = false;
    var p = document.createElement("p");
    p.className = "offline-blocked";
    p.textContent = text.finishBlocked;
    status.appendChild(p);
    status.scrollIntoView({ block: "nearest" });
  }

  // With the service worker installed, keep every question page of this attempt so it can go on offline.
  async function warmAttemptPages() {
    if (!navigator.serviceWorker || !navigator.serviceWorker.controller || !window.caches) { return; }
    var total = document.querySelectorAll(".question-nav .question-go").length;
    for (var n = 1; n <= total; n++) {
      var page = questionPage(n);
      if (!navigator.onLine || !page) { return; }
      if (!(await caches.match(page))) {
        try { await fetch(page, { credentials: "same-origin" }); } catch (e) { return; }
      }
    }
  }

  function setUpFinish(attempt) {
    var form = document.querySelector("main form[method=post]");
    var hadWaiting = waitingFor(attempt);
    flush().then(function () {
      // The list of unanswered questions was drawn before these answers arrived.
      if (hadWaiting && !waitingFor(attempt)) { location.reload(); }
    });
    if (!form) { return; }
    var resubmitting = false;
    form.addEventListener("submit", function (event) {
      if (resubmitting || !waitingFor(attempt)) { return; }
      event.preventDefault();
      flush().then(function () {
        if (waitingFor(attempt)) { return showBlocked(); }
        resubmitting = true;
        form.requestSubmit(event.submitter);
      });
    });
  }

  function forgetAttempt(attempt) {
    var box = outbox();
    Object.keys(box.answers).forEach(function (key) { if (String(box.answers[key].a) === attempt) { delete box.answers[key]; } });
    write(KEY, box);
    if (!window.caches) { return; }
    caches.open("cpt-quiz").then(function (cache) {
      return cache.keys().then(function (requests) {
        requests.forEach(function (request) {
          if (new URL(request.url).pathname.indexOf("/quiz/attempts/" + attempt + "/") === 0 ||
              new URL(request.url).pathname === "/quiz/attempts/" + attempt) { cache.delete(request); }
        });
      });
    });
  }

  // ---- lesson pages -----------------------------------------------------------------------------

  function setUpLesson(form) {
    form.addEventListener("submit", function (event) {
      if (navigator.onLine) { return; }
      event.preventDefault();
      var lesson = /\/training\/lessons\/(\d+)\/done/.exec(form.action)[1];
      var box = outbox();
      box.lessons[lesson] = { u: user, url: form.action, t: Date.now() };
      write(KEY, box);
      var here = document.querySelector(".lesson-nav li.current");
      var next = here && here.nextElementSibling && here.nextElementSibling.querySelector("a[href]");
      var crumbs = document.querySelectorAll(".breadcrumbs a[href]");
      var target = next ? next.href : crumbs.length ? crumbs[crumbs.length - 1].href : null;
      if (target) { location.href = target; } else { render(); }
    });
  }

  // ---- "available offline" on a course page ----------------------------------------------------

  function setUpCourse(box) {
    var id = box.dataset.offlineCourse;
    var state = box.querySelector(".offline-state");
    var saveButton = box.querySelector("[data-action=save]");
    var removeButton = box.querySelector("[data-action=remove]");
    var cacheName = "cpt-course-" + id;
    if (!("serviceWorker" in navigator) || !window.caches) {
      state.textContent = box.dataset.unsupported;
      return;
    }
    function show(saved, message) {
      saveButton.hidden = saved;
      removeButton.hidden = !saved;
      state.textContent = message || "";
    }
    async function save(quiet) {
      if (!quiet) { show(false, box.dataset.saving); saveButton.disabled = true; }
      try {
        await navigator.serviceWorker.register(box.dataset.sw, { scope: "/" });
        var list = await (await fetch(box.dataset.manifest, { credentials: "same-origin" })).json();
        var known = read(COURSES, {})[id];
        if (quiet && known && known.version === list.version) { return; }
        var cache = await caches.open(cacheName);
        var urls = list.pages.concat(list.images, list.assets);
        await Promise.all(urls.map(async function (url) {
          var response = await fetch(url, { credentials: "same-origin" });
          if (!response.ok || response.redirected) { throw new Error(url); }
          await cache.put(url, response);
        }));
        var courses = read(COURSES, {});
        courses[id] = { version: list.version, pages: list.pages.length, at: Date.now() };
        write(COURSES, courses);
        show(true, say(box.dataset.saved, list.pages.length));
      } catch (error) {
        if (!quiet) { show(false, box.dataset.failed); }
      } finally {
        saveButton.disabled = false;
      }
    }
    async function remove() {
      await caches.delete(cacheName);
      var courses = read(COURSES, {});
      delete courses[id];
      write(COURSES, courses);
      if (!Object.keys(courses).length) {
        await caches.delete("cpt-quiz");
        var registration = await navigator.serviceWorker.getRegistration("/");
        if (registration) { await registration.unregister(); }
      }
      show(false, box.dataset.removed);
    }
    saveButton.addEventListener("click", function () { save(false); });
    removeButton.addEventListener("click", remove);
    var known = read(COURSES, {})[id];
    show(Boolean(known), known ? say(box.dataset.saved, known.pages) : "");
    if (known && navigator.onLine) { save(true); }  // a newly published lesson joins the saved copy
  }

  // ---- start ------------------------------------------------------------------------------------

  if (attemptPage) { setUpAttempt(attemptPage[1]); }
  if (finishPage) { setUpFinish(finishPage[1]); }
  if (resultPage) { forgetAttempt(resultPage[1]); }
  document.querySelectorAll("form[action*='/training/lessons/']").forEach(function (form) {
    if (/\/training\/lessons\/\d+\/done/.test(form.action)) { setUpLesson(form); }
  });
  var course = document.querySelector("[data-offline-course]");
  if (course) { setUpCourse(course); }
  // Sign out only once what waits here is sent: signing out clears this device's copy.
  var signOut = document.querySelector("form[action$='/sign-out']");
  if (signOut) {
    signOut.addEventListener("submit", function (event) {
      var waiting = pending();
      if (!waiting.answers && !waiting.lessons) { return; }
      event.preventDefault();
      flush().then(function () { signOut.submit(); });
    });
  }
  render();
  if (navigator.onLine) { flush(); }
})();
