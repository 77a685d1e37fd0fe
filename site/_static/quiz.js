/* Prediction questions answered in the page, without a kernel (site/_ext/focal_site.py, {quiz}).
 *
 * Each quiz carries, from focal_teach.exercises when the site was built, its question's text, hint
 * and the exact interval [lo, hi] of the numbers that check_answer accepts (accepted_interval:
 * the first and the last accepted float). The feedback is check_answer's, word for word:
 *   ✅ ID: correct (v).   ❌ ID: v is too high. / too low.   Hint: ...
 * The answer is read as Python's float() reads a string, and v is written as Python's {v:.4g}
 * (python.js).
 *
 * For the tests: window.FOCAL_QUIZZES[id] = function (text) -> {passed, message}.
 */
(function () {
  "use strict";

  var py = window.FOCAL_PYTHON;  // python.js, loaded before this script
  var pythonFloat = py.float, pythonRepr = py.repr, nonFinite = py.nonFinite;
  function g4(v) { return py.formatG(v, 4, false); }

  function checker(data) {
    return function (answer) {
      var id = data.id;
      if (answer.trim() === "") return { passed: false, message: "✏️ " + id + ": no answer yet. " + data.text };
      var v = pythonFloat(answer);
      var fail = function (what) { return { passed: false, message: "❌ " + id + ": " + what + "\n   Hint: " + data.hint }; };
      if (v === null) return fail("the answer must be a number; got " + pythonRepr(answer) + ".");
      if (!isFinite(v)) return fail(nonFinite(v) + " is not a finite number.");
      if (v >= data.lo && v <= data.hi) return { passed: true, message: "✅ " + id + ": correct (" + g4(v) + ")." };
      return fail(g4(v) + " is " + (v > data.hi ? "too high" : "too low") + ".");
    };
  }

  function start() {
    var quizzes = (window.FOCAL_QUIZZES = window.FOCAL_QUIZZES || {});
    document.querySelectorAll(".ft-quiz[data-quiz]").forEach(function (root) {
      var data = JSON.parse(root.getAttribute("data-quiz"));
      var check = (quizzes[data.id] = checker(data));
      var input = root.querySelector("input");
      var feedback = root.querySelector(".ft-quiz-feedback");
      root.querySelector("form").addEventListener("submit", function (event) {
        event.preventDefault();
        var result = check(input.value);
        var lines = result.message.split("\n");
        feedback.textContent = "";
        lines.forEach(function (line, i) {
          if (i) feedback.appendChild(document.createElement("br"));
          feedback.appendChild(document.createTextNode(line.trim()));
        });
        feedback.className = "ft-quiz-feedback " + (result.passed ? "ft-pass" : "ft-fail");
        if (pythonFloat(input.value) === null && input.value.trim() !== "") input.setAttribute("aria-invalid", "true");
        else input.removeAttribute("aria-invalid");
      });
      root.classList.add("ft-ready");
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
