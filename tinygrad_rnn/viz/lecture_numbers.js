// Numbers as the page writes them: the bars' values, the colour scale's ends, the tooltips' values.

// A number as a slide writes it: 1.5·10⁻², 0.15, 3.2, 41 (tinygrad_rnn/viz/numbers.py is the same
// formatter in Python, for the equations; the tests run both on the same cases).
function tinygradRnnNumber(value, digits = 2) {
  value = Number(value);
  if (Number.isNaN(value)) return "NaN";
  const sign = value < 0 ? "−" : "";
  if (value === 0 || !Number.isFinite(value)) return value === 0 ? "0" : sign + "∞";
  // toExponential rounds the exact binary value half away from zero, as numbers.py does
  const [mantissa, power] = Math.abs(value).toExponential(digits - 1).split("e");
  const exponent = Number(power);
  const figures = mantissa.replace(".", "");
  if (exponent >= -1 && exponent <= 2) {  // 0.15 … 990: no power of ten needed
    if (exponent < 0) return sign + "0." + "0".repeat(-exponent - 1) + figures;
    const fraction = figures.slice(exponent + 1);
    return sign + figures.slice(0, exponent + 1).padEnd(exponent + 1, "0") + (fraction ? "." + fraction : "");
  }
  return `${sign}${mantissa}·${tinygradRnnPower(exponent)}`;
}

// 10 to a power, as written on a log axis: 10⁻³.
function tinygradRnnPower(exponent) {
  return "10" + String(exponent).replace(/./g, (c) => "⁰¹²³⁴⁵⁶⁷⁸⁹⁻"["0123456789-".indexOf(c)]);
}

// The fewest significant digits (2 to 4) at which the values that differ print differently.
function tinygradRnnDigits(values, digits = 2) {
  const distinct = [...new Set(values.map(Number))];
  while (digits < 4 && new Set(distinct.map((v) => tinygradRnnNumber(v, digits))).size < distinct.length) digits++;
  return digits;
}
