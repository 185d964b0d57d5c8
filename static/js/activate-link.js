// A slip's QR code opens /activate#sn=<service number>&code=<code>. The fragment never reaches
// the server (so the code is in no access log); copy it into the form, then drop it from the
// address bar and history.
(function () {
  "use strict";
  if (location.hash.indexOf("#sn=") !== 0) { return; }
  var values = {};
  location.hash.slice(1).split("&").forEach(function (pair) {
    var parts = pair.split("=");
    if (parts.length === 2) { values[parts[0]] = decodeURIComponent(parts[1]); }
  });
  var number = document.getElementById("service_number");
  var code = document.getElementById("code");
  if (number && values.sn && !number.value) { number.value = values.sn; }
  if (code && values.code && !code.value) { code.value = values.code; }
  history.replaceState(null, "", location.pathname + location.search);
  var next = document.getElementById("password");
  if (next && number && number.value && code && code.value) { next.focus(); }
})();
