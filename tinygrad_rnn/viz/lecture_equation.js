// The lecture page's equation fitted to its box (lecture_fit.js chooses the boxes): as large as fits, inside its
// padding, a line too wide going on in a row of its own where that sets it larger (lecture_rows.js); and whether
// the page as laid out fits the window, nothing scrolling or overflowing.
function tinygradRnnEquation(root) {
  const { wrap, unwrap } = tinygradRnnRows();  // (the equation's rows: lecture_rows.js)
  const overflows = (element) => element && (element.scrollHeight > element.clientHeight + 1 ||
                                             element.scrollWidth > element.clientWidth + 1);
  function fits() {
    return ![".equation", ".sums", ".footer"].some((selector) => overflows(root.querySelector(selector))) &&
      !intoPadding(root.querySelector(".equation")) && document.documentElement.scrollHeight <= window.innerHeight;
  }
  // Whether the equation's text runs on into its panel's right padding: its scrollWidth leaves out a MathML line's
  // overflow there (at 1,280 × 720 a language model's line "(the local Jacobians' product: what vanishes)" ran
  // across the padding onto the panel's edge, its scrollWidth 1 px over its clientWidth). (Its height is its
  // lines': their glyphs stand a pixel or two over and under them, in the padding that stays.)
  function intoPadding(equation) {
    if (!equation) return false;
    const style = getComputedStyle(equation), range = document.createRange();
    range.selectNodeContents(equation);
    return range.getBoundingClientRect().right > equation.getBoundingClientRect().right -
      parseFloat(style.borderRightWidth) - parseFloat(style.paddingRight) + 0.5;
  }

  // The equation's text shrinks (to 60 % at the least) until it fits its box, inside its padding — with
  // ``untilAllFits``, until the bars under it fit theirs too: the largest size that fits, to within 1 %, found by
  // halving (steps of 5 % gave up to 5 %: a line that fit at 94 % was set at 90).
  // A line too wide for the box goes on in a row of its own at a mark where it reads on (lecture_rows.js: an LSTM's
  // backward lines beside the figure at 1,280 × 720 were set at 15.6–17.7 px, under the page's 18.8, to fit the
  // column's width), where that sets it larger: the largest size either way.
  function fitEquation(equation, untilAllFits = false) {
    const fitsAt = (size, wrapped) => {
      equation.style.fontSize = size === 1 ? "" : `${size}em`;
      unwrap(equation);
      if (wrapped) wrap(equation);  // (at this size: only the rows too wide for it)
      return !(overflows(equation) || intoPadding(equation) || untilAllFits && !fits());
    };
    const largest = (wrapped) => {
      if (fitsAt(1, wrapped)) return 1;
      let [low, high] = [0.6, 1];  // (high does not fit)
      while (high - low > 0.01) {
        const middle = (low + high) / 2;
        [low, high] = fitsAt(middle, wrapped) ? [middle, high] : [low, middle];
      }
      fitsAt(low, wrapped);
      return low;
    };
    const whole = largest(false);
    if (whole === 1 || !equation.querySelector("mspace.break")) return;
    if (largest(true) > whole + 0.005) return;
    fitsAt(whole, false);
  }
  return { fits, fitEquation };
}
