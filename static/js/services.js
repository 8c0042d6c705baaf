// Moves services between Available Services and Assigned Services without a round trip.
// The page works without this file: the Assign/Unassign buttons then re-render on the server.
(function () {
  "use strict";
  // Enter in a field submits the form's main action. A browser presses the form's first submit
  // button, which on these pages is "Assign ›" (issue 18). A hidden duplicate Submit placed first
  // would be a second, invisible "Submit" for screen readers (or an aria-hidden control axe refuses),
  // so the form itself sends Enter to the button marked data-default-action.
  var PRESSING = ["submit", "button", "reset", "image", "file"];
  document.querySelectorAll("form").forEach(function (form) {
    var main = form.querySelector("[data-default-action]");
    if (!main) { return; }
    form.addEventListener("keydown", function (event) {
      var target = event.target;
      if (event.key !== "Enter" || event.defaultPrevented || target.tagName !== "INPUT") { return; }
      if (PRESSING.indexOf(target.type) !== -1) { return; }
      event.preventDefault();
      if (main.disabled) { return; }
      if (form.requestSubmit) { form.requestSubmit(main); } else { main.click(); }
    });
  });
  document.querySelectorAll("[data-services-picker]").forEach(function (picker) {
    var form = picker.closest("form");
    var available = picker.querySelector("#id_available");
    var assigned = picker.querySelector("#id_assigned");
    if (!form || !available || !assigned || available.disabled) { return; }

    function syncHidden() {
      picker.querySelectorAll('input[type=hidden][name=services]').forEach(function (el) { el.remove(); });
      Array.prototype.forEach.call(assigned.options, function (opt) {
        var input = document.createElement("input");
        input.type = "hidden"; input.name = "services"; input.value = opt.value;
        picker.appendChild(input);
      });
    }
    function move(from, to) {
      Array.prototype.slice.call(from.selectedOptions).forEach(function (opt) {
        if (opt.hasAttribute("data-fixed")) { return; }
        opt.selected = false; to.appendChild(opt);
      });
      syncHidden();
    }
    picker.querySelectorAll("button[name=action]").forEach(function (button) {
      button.addEventListener("click", function (event) {
        event.preventDefault();
        if (button.value === "assign") { move(available, assigned); } else { move(assigned, available); }
      });
    });
    available.addEventListener("dblclick", function () { move(available, assigned); });
    assigned.addEventListener("dblclick", function () { move(assigned, available); });
  });
})();
