/* Every page of the course website: what makes it work on a phone (issue 23).
 *
 * - Wide tables and equations (marked .ft-scroll by site/build.py): those that overflow their
 *   column become focusable, named regions (arrow keys scroll them) with a visible hint.
 * - Figures shown shrunk (a multi-panel figure on a phone) show their "Full-size figure" note;
 *   the link to the full-size image is always there.
 * - furo's "Back to top" button never sits over a control: while it overlaps one (a slider,
 *   a link, a field), it is hidden, so a tap meant for the control reaches the control.
 */
(function () {
  "use strict";

  var CONTROLS = "a[href], button, input, select, textarea, summary, label, output, [role='slider'], .ft-control";

  function scrollRegions() {
    document.querySelectorAll(".ft-scroll").forEach(function (el) {
      var overflows = el.scrollWidth > el.clientWidth + 1;
      var hint = el.previousElementSibling && el.previousElementSibling.classList.contains("ft-scroll-hint") ? el.previousElementSibling : null;
      el.classList.toggle("ft-overflows", overflows);
      if (overflows) {
        var what = el.classList.contains("math-wrapper") ? "Equation" : "Table";
        if (!el.hasAttribute("tabindex")) el.setAttribute("tabindex", "0");
        el.setAttribute("role", "region");
        el.setAttribute("aria-label", what + ", wider than the screen: scroll sideways");
        if (!hint) {
          hint = document.createElement("p");
          hint.className = "ft-scroll-hint";
          hint.setAttribute("aria-hidden", "true");  // the region's name says it already
          hint.textContent = "↔ " + what + " wider than the screen: swipe it sideways, or focus it and use the arrow keys.";
          el.parentNode.insertBefore(hint, el);  // before: a reader meets it before the cut-off part
        }
      } else {
        if (el.getAttribute("tabindex") === "0") el.removeAttribute("tabindex");
        el.removeAttribute("role");
        el.removeAttribute("aria-label");
        if (hint) hint.remove();
      }
    });
  }

  function figures() {
    document.querySelectorAll("a.ft-full-size img").forEach(function (img) {
      var mark = function () {
        var shown = img.getBoundingClientRect().width;
        img.parentNode.classList.toggle("ft-shrunk", shown > 0 && img.naturalWidth > 1.25 * shown);
      };
      if (img.complete) mark(); else img.addEventListener("load", mark);
    });
  }

  function overlaps(a, b) {
    return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  }

  var button = null, pending = false;
  function backToTop() {
    pending = false;
    if (!button) return;
    button.classList.remove("ft-off");
    if (!document.documentElement.classList.contains("show-back-to-top")) return;
    var box = button.getBoundingClientRect();
    if (box.width === 0) return;
    var controls = document.querySelectorAll(CONTROLS);
    for (var i = 0; i < controls.length; i++) {
      var el = controls[i];
      if (el === button || button.contains(el) || el.closest(".sidebar-drawer, .toc-drawer, header")) continue;
      var r = el.getBoundingClientRect();
      if (r.width > 0 && r.height > 0 && overlaps(box, r)) {
        button.classList.add("ft-off");
        return;
      }
    }
  }
  function schedule() {
    if (!pending) { pending = true; window.requestAnimationFrame(backToTop); }
  }

  function start() {
    scrollRegions();
    figures();
    button = document.querySelector(".back-to-top");
    if (button) {
      window.addEventListener("scroll", schedule, { passive: true });
      new MutationObserver(schedule).observe(document.documentElement, { attributes: true, attributeFilter: ["class"] });
    }
    var timer = null;
    window.addEventListener("resize", function () {
      clearTimeout(timer);
      timer = setTimeout(function () { scrollRegions(); figures(); schedule(); }, 100);
    });
    if (document.fonts && document.fonts.ready) document.fonts.ready.then(scrollRegions);  // KaTeX's fonts change widths
    window.FOCAL_SITE = { scrollRegions: scrollRegions, backToTop: backToTop };
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
