// Offline certificate check: verifies the Ed25519 signature of a CPT1 payload with the public
// keys embedded in the page (WebCrypto). Makes no network request.
(function () {
  "use strict";
  var form = document.getElementById("offline-form");
  var input = document.getElementById("payload");
  var out = document.getElementById("offline-result");
  var keys = JSON.parse(document.getElementById("signing-keys").dataset.keys || "{}");
  var labels = JSON.parse(out.dataset.labels);

  function b64urlToBytes(text) {
    if (!/^[A-Za-z0-9_-]*$/.test(text)) { throw new Error("malformed"); }
    var padded = text.replace(/-/g, "+").replace(/_/g, "/");
    while (padded.length % 4) { padded += "="; }
    var binary = atob(padded);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) { bytes[i] = binary.charCodeAt(i); }
    return bytes;
  }

  // The same rule as certificates/qr.py: what follows "#p=", or a text starting with CPT1., is taken whole.
  function payloadOf(text) {
    text = text.trim();
    var at = text.indexOf("#p=");
    if (at >= 0) { text = text.slice(at + 3); }
    if (text.indexOf("CPT1.") === 0) { return text; }
    var match = /CPT1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/.exec(text);
    return match ? match[0] : null;
  }

  function show(ok, message, claims, keyId) {
    out.hidden = false;
    out.className = "verdict " + (ok ? "verdict-valid" : "verdict-revoked");
    out.textContent = "";
    var head = document.createElement("p");
    var strong = document.createElement("strong");
    strong.textContent = ok ? out.dataset.valid : out.dataset.invalid + " " + message;
    head.appendChild(strong);
    out.appendChild(head);
    if (!claims) { return; }
    var list = document.createElement("dl");
    list.className = "facts";
    [["serial", claims[0]], ["name", claims[1]], ["course", claims[2]], ["issued", claims[3]],
     ["expires", claims[4]], ["key", claims[5]]].forEach(function (pair) {
      var term = document.createElement("dt");
      term.textContent = labels[pair[0]];
      var value = document.createElement("dd");
      value.textContent = pair[1];
      list.appendChild(term);
      list.appendChild(value);
    });
    out.appendChild(list);
    var notes = [];
    if (keys[keyId] && keys[keyId].retired) { notes.push(out.dataset.retired); }
    if (claims[4] < new Date().toISOString().slice(0, 10)) { notes.push(out.dataset.expired); }
    notes.push(out.dataset.live);
    notes.forEach(function (note) {
      var p = document.createElement("p");
      p.textContent = note;
      out.appendChild(p);
    });
  }

  async function check(text) {
    var payload = payloadOf(text);
    var parts = payload ? payload.split(".") : [];
    if (parts.length !== 3 || parts[0] !== "CPT1") { return show(false, out.dataset.malformed); }
    var body, signature, claims;
    try {
      body = b64urlToBytes(parts[1]);
      signature = b64urlToBytes(parts[2]);
      claims = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(body));
      if (!Array.isArray(claims) || claims.length !== 6) { throw new Error("malformed"); }
    } catch (error) {
      return show(false, out.dataset.malformed);
    }
    var keyId = String(claims[5]);
    var entry = Object.prototype.hasOwnProperty.call(keys, keyId) ? keys[keyId] : null;
    if (!entry) { return show(false, out.dataset.unknownKey.replace("{key}", keyId)); }
    if (!window.crypto || !window.crypto.subtle) { return show(false, out.dataset.unsupported); }
    var valid;
    try {
      var key = await crypto.subtle.importKey("raw", b64urlToBytes(entry.public_key), { name: "Ed25519" }, false, ["verify"]);
      valid = await crypto.subtle.verify({ name: "Ed25519" }, key, signature, body);
    } catch (error) {
      return show(false, out.dataset.unsupported);
    }
    if (!valid) { return show(false, out.dataset.altered); }
    show(true, "", claims, keyId);
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    check(input.value);
  });
  // Opened from a QR code's link with the fragment: fill it in and check at once.
  if (location.hash.indexOf("#p=") === 0) {
    input.value = location.hash;
    check(location.hash);
  }
})();
