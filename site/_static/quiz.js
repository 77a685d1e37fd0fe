/* Prediction questions answered in the page, without a kernel (site/_ext/focal_site.py, {quiz}).
 *
 * Each quiz carries, from focal_teach.exercises when the site was built, its question's text, hint
 * and the exact interval [lo, hi] of the numbers that check_answer accepts (accepted_interval:
 * the first and the last accepted float). The feedback is check_answer's, word for word:
 *   ✅ ID: correct (v).   ❌ ID: v is too high. / too low.   Hint: ...
 * The answer is read as Python's float() reads a string, and v is written as Python's {v:.4g}.
 *
 * For the tests: window.FOCAL_QUIZZES[id] = function (text) -> {passed, message}.
 */
(function () {
  "use strict";

  // Python's float(): optional sign, digits with single underscores between them, a point, an
  // exponent; or inf / infinity / nan. Surrounding whitespace is allowed.
  var DIGITS = "\\d(?:_?\\d)*";
  var NUMBER = new RegExp("^[+-]?(?:(?:" + DIGITS + "(?:\\.(?:" + DIGITS + ")?)?|\\.(?:" + DIGITS + "))(?:[eE][+-]?" + DIGITS + ")?)$");
  var SPECIAL = /^([+-]?)(inf|infinity|nan)$/i;

  function pythonFloat(text) {
    var s = text.trim();
    var special = SPECIAL.exec(s);
    if (special) return special[2].toLowerCase() === "nan" ? NaN : (special[1] === "-" ? -Infinity : Infinity);
    if (!NUMBER.test(s)) return null;
    return Number(s.replace(/_/g, ""));
  }

  // Python's repr of a str, for "got '...'": single quotes unless the text holds one and no double.
  function pythonRepr(text) {
    var quote = text.indexOf("'") >= 0 && text.indexOf('"') < 0 ? '"' : "'";
    var body = text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/\r/g, "\\r").replace(/\t/g, "\\t");
    if (quote === "'") body = body.replace(/'/g, "\\'");
    return quote + body + quote;
  }

  // Python's str(float) for the non-finite ones, and format(v, ".4g"): 4 significant digits,
  // rounded half to even on the exact decimal value of the double, trailing zeros dropped,
  // scientific notation when the exponent is below -4 or at least 4.
  function nonFinite(v) { return isNaN(v) ? "nan" : v > 0 ? "inf" : "-inf"; }

  function g4(v) {
    if (!isFinite(v)) return nonFinite(v);
    var sign = v < 0 || Object.is(v, -0) ? "-" : "";
    var a = Math.abs(v);
    if (a === 0) return sign + "0";
    // The exact decimal digits of a (a double has at most 767 of them; 100 decide any tie here).
    var parts = a.toExponential(99).split("e");
    var digits = parts[0].replace(".", ""), exp = parseInt(parts[1], 10);
    var keep = digits.slice(0, 4).split("").map(Number);
    var rest = digits.slice(4);
    var up = rest[0] > "5" || (rest[0] === "5" && (/[1-9]/.test(rest.slice(1)) || keep[3] % 2 === 1));
    if (up) {
      for (var i = 3; i >= 0; i--) {
        if (keep[i] < 9) { keep[i] += 1; break; }
        keep[i] = 0;
        if (i === 0) { keep.unshift(1); keep.pop(); exp += 1; }
      }
    }
    var m = keep.join("");
    if (exp < -4 || exp >= 4) {
      var mant = (m[0] + "." + m.slice(1)).replace(/\.?0+$/, "");
      return sign + mant + "e" + (exp < 0 ? "-" : "+") + (Math.abs(exp) < 10 ? "0" : "") + Math.abs(exp);
    }
    var text;
    if (exp >= 0) text = m.slice(0, exp + 1) + "." + m.slice(exp + 1);
    else text = "0." + new Array(-exp).join("0") + m;
    if (text.indexOf(".") >= 0) text = text.replace(/0+$/, "").replace(/\.$/, "");
    return sign + text;
  }

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
