// On a phone the left-hand navigation folds behind a "Menu" button, so the page's own content is
// on the first screen. Without JavaScript the button stays hidden and the navigation shows in full.
(function () {
  var button = document.querySelector(".posc-nav-toggle");
  var nav = document.getElementById("side-nav");
  if (!button || !nav) return;
  var narrow = window.matchMedia("(max-width: 63.99em)");
  function set(open) {
    button.setAttribute("aria-expanded", open ? "true" : "false");
    nav.classList.toggle("posc-side-nav--closed", !open);
  }
  function fit() {
    button.hidden = !narrow.matches;
    set(!narrow.matches);
  }
  button.addEventListener("click", function () {
    set(button.getAttribute("aria-expanded") !== "true");
  });
  narrow.addEventListener("change", fit);
  fit();
})();

// After a failed submit the error summary takes focus, so a screen reader reads what to fix first.
(function () {
  var summary = document.querySelector("[data-error-summary]");
  if (summary) summary.focus();
})();
