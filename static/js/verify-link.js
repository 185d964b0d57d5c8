// On a verification page opened from a QR code, the signed payload is in the URL fragment
// (never sent to the server). It must be this certificate's: a genuine payload copied under
// another certificate's code would otherwise pass for it on the offline check. The page compares
// the payload's name, course, issue and expiry dates with the ones it shows (the serial is not
// public here); if they differ it says so and does not pass the payload on to the offline checker.
(function () {
  "use strict";
  var link = document.getElementById("offline-link");
  var warning = document.getElementById("payload-mismatch");
  if (!link || !warning || location.hash.indexOf("#p=") !== 0) { return; }

  function claimsOf(payload) {
    try {
      var body = payload.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
      while (body.length % 4) { body += "="; }
      var bytes = Uint8Array.from(atob(body), function (c) { return c.charCodeAt(0); });
      var claims = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
      return Array.isArray(claims) && claims.length === 6 ? claims : null;
    } catch (error) {
      return null;
    }
  }

  var facts = JSON.parse(warning.dataset.facts);
  var claims = claimsOf(location.hash.slice(3));
  var same = claims !== null && facts.every(function (fact, i) { return String(claims[i + 1]) === String(fact); });
  if (!same) {
    warning.hidden = false;
    return;
  }
  link.href += location.hash;
})();
