// Passkeys (WebAuthn) on the settings page (add one) and at sign-in (prove one). The server
// sends the options as JSON with base64url binary fields and takes the browser's answer back
// the same way; the session's CSRF token goes in the X-CSRF-Token header.
(function () {
  "use strict";
  function fromB64url(s) {
    s = s.replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) s += "=";
    var bin = atob(s), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out.buffer;
  }
  function toB64url(buf) {
    var bytes = new Uint8Array(buf), s = "";
    for (var i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function post(url, csrf, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(body || {})
    }).then(function (r) {
      return r.json().then(function (j) {
        if (!r.ok) {
          var e = new Error(j.error || j.detail || ("HTTP " + r.status));
          e.fromServer = true;
          throw e;
        }
        return j;
      });
    });
  }
  function showError(button, err) {
    var box = document.getElementById("passkey-error");
    if (box) {
      // The server's refusals come in the reader's words; the browser's (cancelled, no
      // authenticator) get the page's sentence with the browser's error name.
      box.textContent = err && err.fromServer ? err.message
        : button.dataset.failed + " (" + (err && err.name ? err.name : String(err)) + ")";
      box.hidden = false;
    }
    button.disabled = false;
  }

  var add = document.getElementById("passkey-add");
  if (add) {
    add.addEventListener("click", function () {
      add.disabled = true;
      var csrf = add.dataset.csrf;
      var label = (document.getElementById("passkey-label") || {}).value || "";
      post("/settings/passkeys/options", csrf).then(function (o) {
        var pk = o.publicKey;
        pk.challenge = fromB64url(pk.challenge);
        pk.user.id = fromB64url(pk.user.id);
        (pk.excludeCredentials || []).forEach(function (c) { c.id = fromB64url(c.id); });
        return navigator.credentials.create({ publicKey: pk });
      }).then(function (cred) {
        return post("/settings/passkeys", csrf, {
          label: label,
          credential: {
            id: cred.id,
            rawId: toB64url(cred.rawId),
            type: cred.type,
            response: {
              attestationObject: toB64url(cred.response.attestationObject),
              clientDataJSON: toB64url(cred.response.clientDataJSON)
            },
            extensions: cred.getClientExtensionResults ? cred.getClientExtensionResults() : {}
          }
        });
      }).then(function (done) {
        var codes = done.recovery_codes || [];
        if (codes.length === 0) { window.location.assign("/settings/second-factor"); return; }
        // A first factor: its recovery codes, shown once, then on to the settings page.
        var box = document.getElementById("passkey-codes");
        var list = document.getElementById("passkey-codes-list");
        codes.forEach(function (c) {
          var li = document.createElement("li"), code = document.createElement("code");
          code.textContent = c; li.appendChild(code); list.appendChild(li);
        });
        box.hidden = false;
        add.hidden = true;
      }).catch(function (e) { showError(add, e); });
    });
  }

  var signIn = document.getElementById("passkey-sign-in");
  if (signIn) {
    signIn.addEventListener("click", function () {
      signIn.disabled = true;
      var csrf = signIn.dataset.csrf;
      post("/login/passkey/options", csrf).then(function (o) {
        var pk = o.publicKey;
        pk.challenge = fromB64url(pk.challenge);
        (pk.allowCredentials || []).forEach(function (c) { c.id = fromB64url(c.id); });
        return navigator.credentials.get({ publicKey: pk });
      }).then(function (cred) {
        return post("/login/passkey", csrf, {
          next: signIn.dataset.next || "",
          credential: {
            id: cred.id,
            rawId: toB64url(cred.rawId),
            type: cred.type,
            response: {
              authenticatorData: toB64url(cred.response.authenticatorData),
              clientDataJSON: toB64url(cred.response.clientDataJSON),
              signature: toB64url(cred.response.signature),
              userHandle: cred.response.userHandle ? toB64url(cred.response.userHandle) : null
            },
            extensions: cred.getClientExtensionResults ? cred.getClientExtensionResults() : {}
          }
        });
      }).then(function (done) {
        window.location.assign(done.redirect || "/incidents");
      }).catch(function (e) { showError(signIn, e); });
    });
  }
})();
