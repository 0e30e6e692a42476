// Passkeys (WebAuthn) for Egenkontroll: register on "Inloggning och säkerhet", sign in on the
// second-factor page. A static file because the Content-Security-Policy forbids inline scripts.
"use strict";
(function () {
  function toBytes(b64url) {
    const b64 = b64url.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((b64url.length + 3) % 4);
    return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  }
  function toB64url(buffer) {
    let text = "";
    new Uint8Array(buffer).forEach((b) => { text += String.fromCharCode(b); });
    return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function csrf() {
    const field = document.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }
  async function post(url, body) {
    const response = await fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "X-CSRFToken": csrf(), "Content-Type": "application/json" },
      body: body === undefined ? "" : JSON.stringify(body),
    });
    const data = await response.json();
    if (!response.ok) throw new Error(data.fel || "Något gick fel.");
    return data;
  }
  function status(text) {
    const el = document.getElementById("passkey-status");
    if (el) el.textContent = text;
  }
  function credentialJSON(cred) {
    const r = cred.response;
    const out = { id: cred.id, rawId: toB64url(cred.rawId), type: cred.type, clientExtensionResults: {},
      response: { clientDataJSON: toB64url(r.clientDataJSON) } };
    if (r.attestationObject) {
      out.response.attestationObject = toB64url(r.attestationObject);
      if (r.getTransports) out.response.transports = r.getTransports();
    } else {
      out.response.authenticatorData = toB64url(r.authenticatorData);
      out.response.signature = toB64url(r.signature);
      if (r.userHandle) out.response.userHandle = toB64url(r.userHandle);
    }
    return out;
  }
  async function register(button) {
    const options = await post(button.dataset.alternativ);
    options.challenge = toBytes(options.challenge);
    options.user.id = toBytes(options.user.id);
    (options.excludeCredentials || []).forEach((c) => { c.id = toBytes(c.id); });
    const cred = await navigator.credentials.create({ publicKey: options });
    const name = document.getElementById("passkey-namn");
    const done = await post(button.dataset.registrera, { namn: name ? name.value : "", credential: credentialJSON(cred) });
    status("Passkeyn är registrerad.");
    window.location.assign(done.nasta);
  }
  async function signIn(button) {
    const options = await post(button.dataset.alternativ);
    options.challenge = toBytes(options.challenge);
    (options.allowCredentials || []).forEach((c) => { c.id = toBytes(c.id); });
    const cred = await navigator.credentials.get({ publicKey: options });
    const done = await post(button.dataset.verifiera, credentialJSON(cred));
    window.location.assign(done.nasta);
  }
  function wire(id, action) {
    const button = document.getElementById(id);
    if (!button) return;
    button.addEventListener("click", () => {
      if (!window.PublicKeyCredential) { status("Webbläsaren stöder inte passkeys."); return; }
      status("Följ anvisningarna från webbläsaren …");
      action(button).catch((err) => status(err.message || "Det gick inte."));
    });
  }
  wire("passkey-registrera", register);
  wire("passkey-logga-in", signIn);
})();
