/* How Python reads and prints numbers, for the widgets that must say word for word what the
 * package says (quiz.js: check_answer; advice.js: will_focal_loss_help).
 *
 *   FOCAL_PYTHON.float(text)               Python's float(text), or null where it raises
 *   FOCAL_PYTHON.repr(text)                Python's repr of a str
 *   FOCAL_PYTHON.floatRepr(v)              Python's repr (and str) of a float: 1000.0, 1e-05, nan
 *   FOCAL_PYTHON.formatG(v, p, grouping)   Python's format(v, ".pg"), or ",.pg" with grouping
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

  function nonFinite(v) { return isNaN(v) ? "nan" : v > 0 ? "inf" : "-inf"; }

  function sign(v) { return v < 0 || Object.is(v, -0) ? "-" : ""; }

  function exponent(e) { return "e" + (e < 0 ? "-" : "+") + (Math.abs(e) < 10 ? "0" : "") + Math.abs(e); }

  // Digits m (no point) of a value m[0].m[1:] × 10^exp, written without an exponent.
  function fixed(m, exp) {
    if (exp >= 0) {
      var whole = m.length > exp + 1 ? m.slice(0, exp + 1) : m + new Array(exp + 2 - m.length).join("0");
      return whole + "." + m.slice(exp + 1);
    }
    return "0." + new Array(-exp).join("0") + m;
  }

  // repr(float): the shortest digits that read back as the same double (JavaScript's toExponential()
  // finds the same ones), with an exponent below 1e-4 and from 1e16 on; ".0" for a whole number.
  function floatRepr(v) {
    if (!isFinite(v)) return nonFinite(v);
    if (v === 0) return sign(v) + "0.0";
    var parts = Math.abs(v).toExponential().split("e");
    var m = parts[0].replace(".", ""), exp = parseInt(parts[1], 10);
    if (exp < -4 || exp >= 16) return sign(v) + m[0] + (m.length > 1 ? "." + m.slice(1) : "") + exponent(exp);
    var text = fixed(m, exp);
    return sign(v) + (text.slice(-1) === "." ? text + "0" : text);
  }

  // format(v, ".pg") (",.pg" with grouping): p significant digits, rounded half to even on the exact
  // decimal value of the double, trailing zeros dropped, an exponent when it is below -4 or at least
  // p; grouping puts a comma between each three digits of the whole part.
  function formatG(v, p, grouping) {
    if (!isFinite(v)) return nonFinite(v);
    p = Math.max(1, p);
    var s = sign(v), a = Math.abs(v);
    if (a === 0) return s + "0";
    // The exact decimal digits of a (a double has at most 767 of them; 100 decide any tie here).
    var parts = a.toExponential(99).split("e");
    var digits = parts[0].replace(".", ""), exp = parseInt(parts[1], 10);
    var keep = digits.slice(0, p).split("").map(Number);
    var rest = digits.slice(p);
    var up = rest[0] > "5" || (rest[0] === "5" && (/[1-9]/.test(rest.slice(1)) || keep[p - 1] % 2 === 1));
    if (up) {
      for (var i = p - 1; i >= 0; i--) {
        if (keep[i] < 9) { keep[i] += 1; break; }
        keep[i] = 0;
        if (i === 0) { keep.unshift(1); keep.pop(); exp += 1; }
      }
    }
    var m = keep.join("");
    if (exp < -4 || exp >= p) {
      var mant = (m[0] + "." + m.slice(1)).replace(/\.?0*$/, "");
      return s + mant + exponent(exp);
    }
    var text = fixed(m, exp);
    if (text.indexOf(".") >= 0) text = text.replace(/0+$/, "").replace(/\.$/, "");
    if (grouping) {
      var point = text.indexOf(".");
      var whole = point >= 0 ? text.slice(0, point) : text;
      text = whole.replace(/\B(?=(\d{3})+$)/g, ",") + (point >= 0 ? text.slice(point) : "");
    }
    return s + text;
  }

  window.FOCAL_PYTHON = { float: pythonFloat, repr: pythonRepr, floatRepr: floatRepr, formatG: formatG, nonFinite: nonFinite };
})();
