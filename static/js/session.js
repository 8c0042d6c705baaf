// Idle sign-out warning (HIPAA 164.312(a)(2)(iii), ASVS 7.3.1). The server ends an idle session
// whatever this script does; the script only warns first and lets the user stay signed in.
(function () {
  "use strict";
  var body = document.body;
  var idle = parseInt(body.getAttribute("data-idle-seconds"), 10);
  var warn = parseInt(body.getAttribute("data-warning-seconds"), 10);
  var dialog = document.getElementById("idle-warning");
  var form = document.getElementById("keepalive-form");
  if (!idle || !dialog || !form) { return; }
  var warnTimer, endTimer;

  function schedule() {
    clearTimeout(warnTimer); clearTimeout(endTimer);
    warnTimer = setTimeout(function () { dialog.hidden = false; dialog.querySelector("button").focus(); },
                           Math.max(idle - warn, 0) * 1000);
    endTimer = setTimeout(function () { window.location.assign(body.getAttribute("data-idle-url")); }, idle * 1000);
  }
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    fetch(form.action, { method: "POST", body: new FormData(form), credentials: "same-origin" })
      .then(function (response) { if (response.ok) { dialog.hidden = true; schedule(); } else { window.location.reload(); } });
  });
  schedule();
})();
