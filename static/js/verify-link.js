// On a verification page opened from a QR code, the signed payload is in the URL fragment
// (never sent to the server): pass it on to the offline checker link.
(function () {
  "use strict";
  var link = document.getElementById("offline-link");
  if (link && location.hash.indexOf("#p=") === 0) { link.href += location.hash; }
})();
