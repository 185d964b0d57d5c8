// Service worker, served at /sw.js so that its scope is the whole site (offline.views).
// Installed only when a learner makes a course available offline (static/js/offline.js).
//
// - Lesson, module and course pages: network first; when the network fails, the copy saved on
//   this device. A fresh page replaces the saved copy, but only where a saved course keeps one.
// - Pages of an open quiz attempt: network first, kept in their own cache so an attempt can go
//   on offline. They hold questions and options only; results and reviews are never kept.
// - A session's attendance page (trainers): network first, kept in its own cache so attendance
//   can be taken with no connection (static/js/attendance.js keeps and sends the marks).
// - Static files (hashed names, immutable) and lesson images: from the device when saved.
// - Anything else, and every POST: the network, untouched. A page not saved gets a short
//   "not saved on this device" page when the network fails.
"use strict";

var QUIZ_CACHE = "cpt-quiz";
var COURSE_CACHE_PREFIX = "cpt-course-";
var FALLBACK = "/offline/unavailable";
var STUDY_PAGE = /^\/training(\/(courses|modules|lessons)\/\d+)?$/;
var ATTEMPT_PAGE = /^\/quiz\/attempts\/\d+(\/q\/\d+)?$/;
var SESSIONS_CACHE = "cpt-sessions";
var ATTENDANCE_PAGE = /^\/training-sessions\/\d+\/attendance$/;

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") { return; }
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (url.pathname.indexOf("/static/") === 0 || url.pathname.indexOf("/media/") === 0) {
    event.respondWith(caches.match(request, { ignoreVary: true }).then(function (hit) { return hit || fetch(request); }));
  } else if (STUDY_PAGE.test(url.pathname)) {
    event.respondWith(networkFirst(request, null));
  } else if (ATTEMPT_PAGE.test(url.pathname)) {
    event.respondWith(networkFirst(request, QUIZ_CACHE));
  } else if (ATTENDANCE_PAGE.test(url.pathname)) {
    event.respondWith(networkFirst(request, SESSIONS_CACHE));
  } else if (request.mode === "navigate") {
    event.respondWith(fetch(request).catch(function () { return fallback(request); }));
  }
});

async function networkFirst(request, cacheName) {
  var response;
  try {
    response = await fetch(request);
  } catch (error) {
    var hit = await caches.match(request, { ignoreVary: true }) ||
      await caches.match(request, { ignoreVary: true, ignoreSearch: true });
    return hit || fallback(request);
  }
  // Redirects (an attempt already submitted, a signed-out person) are never kept.
  if (response.ok && response.type === "basic" && !response.redirected) {
    await keep(request, response.clone(), cacheName);
  }
  return response;
}

async function keep(request, response, cacheName) {
  if (cacheName) {
    return (await caches.open(cacheName)).put(request, response);
  }
  var names = (await caches.keys()).filter(function (name) { return name.indexOf(COURSE_CACHE_PREFIX) === 0; });
  for (var i = 0; i < names.length; i++) {
    var cache = await caches.open(names[i]);
    if (await cache.match(request, { ignoreVary: true })) { await cache.put(request, response.clone()); }
  }
}

async function fallback(request) {
  if (request.mode === "navigate") {
    var page = await caches.match(FALLBACK);
    if (page) { return page; }
  }
  return Response.error();
}
