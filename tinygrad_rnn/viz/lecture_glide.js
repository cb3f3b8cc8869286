// The lecture page's window gliding from one stage's place to the next (lecture_fit.js chooses each place): the
// shown part glides with it, and every frame of the glide cuts no node and shows no arrow from nowhere.
// ``nodeBoxes`` and ``clipTo`` are lecture_fit.js's: each node's rectangle by its index, in the figure's units,
// and the clip that shows only the part of a window that cuts no node.
function tinygradRnnGlide(root, nodeBoxes, clipTo) {
  const reduceMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  const clamp = (value, low, high) => Math.max(low, Math.min(value, high));

  // A glide's shown part ([x, y, width, height]: the old one's and the new one's, in between) with each side moved
  // out past the nodes it would cut (the e row, cut through for 200 ms where the shown part grew from a backward
  // stage's row of cells to the next stage's columns, stands whole), within the frame's window; then moved in past
  // each node the window's own edge cuts, gliding in or out of it, which is left out whole until it is all in the
  // window (the lecturer's LSTM language model's e_t and J_t rows, h₀ and c₀ stood cut at the window's edge in 232
  // frames of its 20 stage changes at 1,280 × 720, 128 at 1,920 × 1,080). A node cut at a corner loses the narrower
  // strip. The arrows the shown part cuts are hidden with the rest (clipTo).
  function wholeNodesIn(svg, [x, y, w, h], [vx, vy, vw, vh]) {
    let [left, top, right, bottom] = [x, y, x + w, y + h];
    const meets = (b) => b.right > left && b.left < right && b.bottom > top && b.top < bottom;
    for (let moved = true; moved;) {
      moved = false;
      for (const b of nodeBoxes(svg).values()) {
        if (!meets(b)) continue;
        if (b.left < left) [left, moved] = [b.left - 1.5, true];  // (1.5: a node's outline, drawn outside its box)
        if (b.top < top) [top, moved] = [b.top - 1.5, true];
        if (b.right > right) [right, moved] = [b.right + 1.5, true];
        if (b.bottom > bottom) [bottom, moved] = [b.bottom + 1.5, true];
      }
    }
    [left, top, right, bottom] = [Math.max(left, vx), Math.max(top, vy), Math.min(right, vx + vw), Math.min(bottom, vy + vh)];
    for (let moved = true; moved && left < right && top < bottom;) {
      moved = false;
      for (const b of nodeBoxes(svg).values()) {
        // (cut: its box is, not only its outline, which the final window may leave at the edge)
        const [cutLeft, cutRight, cutTop, cutBottom] = [b.left < left - 0.01, b.right > right + 0.01,
                                                        b.top < top - 0.01, b.bottom > bottom + 0.01];
        if (!meets(b) || !(cutLeft || cutRight || cutTop || cutBottom)) continue;
        const across = Math.min(cutLeft ? b.right + 1.5 - left : Infinity, cutRight ? right - b.left + 1.5 : Infinity);
        const down = Math.min(cutTop ? b.bottom + 1.5 - top : Infinity, cutBottom ? bottom - b.top + 1.5 : Infinity);
        if (across / (right - left) <= down / (bottom - top)) {
          if (cutLeft) left = b.right + 1.5;
          else right = b.left - 1.5;
        } else if (cutTop) top = b.bottom + 1.5;
        else bottom = b.top - 1.5;
        moved = true;
      }
    }
    return [left, top, Math.max(0, right - left), Math.max(0, bottom - top)];
  }

  // The window glides to its new place as the stage changes; the first window of a view (a page
  // opened at #stage=18, a view just shown) is set at once, as is the same stage's fitted again (the
  // window resized, the page's fonts in) and any with reduced motion or printing. The shown part glides
  // with it, from the old one to the new, clipped and its cut arrows hidden at every frame (clipTo): with
  // no clip until the glide ended, 400 ms into its 450 (stage 2 to 10 of an LSTM language model at
  // 1,280 × 720) the x row stood cut in half at the bottom edge and h₁, c₁ came in from nowhere.
  function moveTo(svg, view, stage) {
    cancelAnimationFrame(Number(svg.dataset.tween || 0));
    const first = svg.dataset.window === undefined || svg.shownStage === stage;
    svg.shownStage = stage;
    svg.dataset.window = view.map((v) => v.toFixed(1)).join(" ");
    const from = (svg.getAttribute("viewBox") || "").split(" ").map(Number);
    const set = (box) => svg.setAttribute("viewBox", box.map((v) => v.toFixed(2)).join(" "));
    const still = reduceMotion || root.dataset.printing !== undefined;  // paper is printed at once
    const there = from.length === 4 && from.every((f, i) => Math.abs(f - view[i]) < 0.05);  // (a render again)
    if (first || still || there || from.length !== 4 || from.some(Number.isNaN)) { set(view); clipTo(svg, view); return; }
    const start = performance.now(), [shownFrom, shownTo] = [svg.shownBox || from, view.shown || view];
    const frame = (now) => {
      // a frame's time may precede ``start`` (it is when the frame began; headless Chromium's virtual
      // time runs it far behind): the glide's fraction stays within 0 … 1, never out past the figure
      const k = clamp((now - start) / 450, 0, 1), eased = k * (2 - k);
      const between = k < 1 ? from.map((f, i) => f + (view[i] - f) * eased) : view;
      if (k < 1) between.shown = wholeNodesIn(svg, shownFrom.map((f, i) => f + (shownTo[i] - f) * eased), between);
      set(between);
      clipTo(svg, between);
      if (k < 1) svg.dataset.tween = String(requestAnimationFrame(frame));
    };
    svg.dataset.tween = String(requestAnimationFrame(frame));
  }

  return moveTo;
}
