// Beside django-otp-webauthn's scripts (loaded after this one): the portal is in English, so its
// gettext is the identity; after a passkey is added the page reloads to list it; when the server
// refuses a new passkey (an agency user's synced passkey, NIST SP 800-63B-4 AAL3) its reason is
// shown instead of the library's general message.
(function () {
  "use strict";
  if (typeof window.gettext !== "function") {
    window.gettext = function (text) { return text; };
  }
  document.addEventListener("otp_webauthn.register_complete", function () {
    window.location.reload();
  });
  document.addEventListener("otp_webauthn.register_failed", function (event) {
    var response = event.detail && event.detail.response;
    var status = document.getElementById("passkey-register-status-message");
    if (!response || !status || response.bodyUsed) { return; }
    response.json().then(function (body) {
      if (body && body.detail) { status.textContent = body.detail; }
    }).catch(function () { /* not JSON: the library's message stays */ });
  });
})();
