// Shows a report's progress while a worker builds it, and reloads when it is ready.
(function () {
  "use strict";
  var pending = document.querySelectorAll("[data-report-status]");
  if (!pending.length) { return; }
  function poll() {
    var waits = Array.prototype.map.call(pending, function (el) {
      return fetch(el.getAttribute("data-report-status"), { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (data) { el.textContent = data.label + (data.status === "done" ? "" : "…"); return data.status; });
    });
    Promise.all(waits).then(function (states) {
      if (states.every(function (s) { return s === "done" || s === "failed"; })) { window.location.reload(); }
      else { setTimeout(poll, 2000); }
    }).catch(function () { setTimeout(poll, 5000); });
  }
  setTimeout(poll, 1000);
})();
