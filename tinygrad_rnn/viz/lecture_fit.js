// Fitting the lecture page to the window (a projector's 1,280 × 720 to 3,840 × 2,160): nothing
// scrolls; the equation shrinks to its box; the figure takes the space the rest leaves.
//
// The figure's text must stay as large as the page's own (24 px at 1,920 wide). Where the whole
// figure, scaled into its space, would write smaller than that, the page shows a window onto it,
// at the readable scale, around the step being explained, and says which steps are in view and
// where the figure goes on; Z (or the button) shows the whole figure instead, however small.
// Nothing is redrawn or left out: the window only chooses the SVG's viewBox.
function tinygradRnnFit(root, graph, note) {
  const reduceMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  const clamp = (value, low, high) => Math.max(low, Math.min(value, high));

  function fullBox(svg) {  // the whole figure, in its own units: [x, y, width, height]
    if (!svg.dataset.full) svg.dataset.full = svg.getAttribute("viewBox");
    return svg.dataset.full.split(" ").map(Number);
  }
  function smallestFont(svg) {  // the smallest text of the figure, in its own units
    if (!svg.dataset.smallest) {
      const sizes = [...svg.querySelectorAll("text")].map((text) => parseFloat(getComputedStyle(text).fontSize));
      svg.dataset.smallest = String(Math.min(...sizes.filter((size) => size > 0), 10));
    }
    return Number(svg.dataset.smallest);
  }
  // The box around some nodes' rectangles, in the figure's units (where they end up, not mid-slide).
  function boxOf(nodes) {
    let left = Infinity, right = -Infinity, top = Infinity, bottom = -Infinity;
    for (const node of nodes) {
      const rect = node && node.querySelector("rect");
      if (!rect) continue;
      const x = Number(rect.getAttribute("x")), y = Number(rect.getAttribute("y"));
      left = Math.min(left, x);
      right = Math.max(right, x + Number(rect.getAttribute("width")));
      top = Math.min(top, y);
      bottom = Math.max(bottom, y + Number(rect.getAttribute("height")));
    }
    return left < right ? { left, right, top, bottom } : null;
  }
  const cellsOf = (panel, svg, t) => (panel.cells[String(t)] || []).map((i) => svg.querySelector(`[data-index="${i}"]`));

  // What the stage is about: the cell of step t (forward: with the step it came from; backward: with
  // the one the gradient came from), the loss where the backward pass starts, the loop when rolled.
  function focusOf(panel, svg, stage) {
    if (stage.phase === "rolled") return boxOf(svg.querySelectorAll(".node.group"));
    const t = Math.min(stage.t === null ? 1 : stage.t, panel.steps + 1);
    if (t > panel.steps) return boxOf(svg.querySelectorAll(".node.output"));
    const own = boxOf(cellsOf(panel, svg, t));
    const neighbour = stage.phase === "forward" ? t - 1 : stage.phase === "backward" ? t + 1 : t;
    return { own, both: boxOf([...cellsOf(panel, svg, t), ...cellsOf(panel, svg, neighbour)]) };
  }

  // The viewBox that shows the stage: the whole figure if its text is large enough so, else a window.
  function windowFor(panel, svg, stage, whole) {
    const full = fullBox(svg);
    const [fx, fy, fw, fh] = full;
    const box = svg.getBoundingClientRect();
    const needed = parseFloat(getComputedStyle(root).fontSize) / smallestFont(svg);  // px per unit
    if (whole || Math.min(box.width / fw, box.height / fh) >= needed || !box.width || !box.height) return full;
    const w = Math.min(fw, box.width / needed), h = Math.min(fh, box.height / needed);
    let focus = focusOf(panel, svg, stage);
    if (focus && "own" in focus) focus = focus.both && focus.both.right - focus.both.left <= w ? focus.both : focus.own;
    focus = focus || { left: fx, right: fx + fw, top: fy, bottom: fy + fh };
    // the focus's column (its input below, its output and loss above) when it fits; else the part the
    // pass comes from: the inputs going forward, the loss coming back
    const column = boxOf([...svg.querySelectorAll(".node")].filter((node) => {
      const b = boxOf([node]);
      return b && b.right > focus.left && b.left < focus.right;
    })) || focus;
    let top = (column.top + column.bottom) / 2 - h / 2;
    if (column.bottom - column.top > h) {  // too tall: the side the pass comes from, the focus kept in view
      top = stage.phase === "forward" ? Math.max(column.bottom, focus.bottom) - h :
        stage.phase === "backward" ? Math.min(column.top, focus.top) : (focus.top + focus.bottom) / 2 - h / 2;
      top = clamp(top, focus.bottom - h, focus.top);
    }
    return [clamp((focus.left + focus.right) / 2 - w / 2, fx, fx + fw - w), clamp(top, fy, fy + fh - h), w, h];
  }

  function moveTo(svg, view) {
    cancelAnimationFrame(Number(svg.dataset.tween || 0));
    svg.dataset.window = view.map((v) => v.toFixed(1)).join(" ");
    const from = (svg.getAttribute("viewBox") || "").split(" ").map(Number);
    const set = (box) => svg.setAttribute("viewBox", box.map((v) => v.toFixed(2)).join(" "));
    const still = reduceMotion || root.dataset.printing !== undefined;  // paper is printed at once
    if (still || from.length !== 4 || from.some(Number.isNaN)) { set(view); return; }
    const start = performance.now();
    const frame = (now) => {
      const k = Math.min(1, (now - start) / 450), eased = k * (2 - k);
      set(from.map((f, i) => f + (view[i] - f) * eased));
      if (k < 1) svg.dataset.tween = String(requestAnimationFrame(frame));
    };
    svg.dataset.tween = String(requestAnimationFrame(frame));
  }

  // Which steps the window shows, and where the figure goes on beyond it (▲ ▼ ◀ ▶). The note keeps
  // its room when hidden, so showing it never moves the figure it describes.
  function describe(panel, svg, view, rolled) {
    const [fx, fy, fw, fh] = fullBox(svg);
    const sides = [[view[1] > fy + 0.5, "▲", "above"], [view[1] + view[3] < fy + fh - 0.5, "▼", "below"],
                   [view[0] > fx + 0.5, "◀", "to the left"], [view[0] + view[2] < fx + fw - 0.5, "▶", "to the right"]];
    const more = sides.filter(([cut]) => cut);
    note.style.visibility = more.length ? "visible" : "hidden";
    graph.dataset.more = more.map(([, , side]) => side).join(", ");
    if (!more.length) return;
    const shown = rolled ? [] : Object.keys(panel.cells).map(Number).filter((t) => {
      const b = boxOf(cellsOf(panel, svg, t));
      return b && b.left >= view[0] - 1 && b.right <= view[0] + view[2] + 1;
    });
    const [first, last] = [Math.min(...shown), Math.max(...shown)];
    const steps = !shown.length ? "a window onto the figure" :
      `${first === last ? `step ${first}` : `steps ${first}–${last}`} of ${panel.steps} in view`;
    note.textContent = `${steps}, more ${more.map(([, arrow]) => arrow).join("")} · Z: whole figure`;
    note.title = `the figure goes on ${graph.dataset.more}; Z (or ⤢) shows all of it, with smaller text`;
  }

  // The layout that shows more of the figure at the readable scale: the figure across the top
  // (wide unrolled strips) or beside the equation and the bars (tall figures, long language models).
  // A layout in which the equation, the bars or the page itself would overflow is not a choice.
  function chooseLayout(svg, equation) {
    const [, , fw, fh] = fullBox(svg);
    const needed = parseFloat(getComputedStyle(root).fontSize) / smallestFont(svg);
    let best = null;
    for (const layout of ["wide", "tall"]) {
      root.dataset.layout = layout;
      fitEquation(equation);
      const box = svg.getBoundingClientRect();
      const scale = Math.min(box.width / fw, box.height / fh);
      const shown = (fits() ? 1 : 0) + Math.min(1, box.width / needed / fw) * Math.min(1, box.height / needed / fh);
      if (!best || shown > best.shown + 0.02 || shown >= best.shown - 0.02 && scale > best.scale * 1.05) {
        best = { layout, shown, scale };
      }
    }
    root.dataset.layout = best.layout;
  }
  function fits() {
    const overflows = (element) => element && (element.scrollHeight > element.clientHeight + 1 ||
                                               element.scrollWidth > element.clientWidth + 1);
    return ![".equation", ".sums", ".footer"].some((selector) => overflows(root.querySelector(selector))) &&
      document.documentElement.scrollHeight <= window.innerHeight;
  }

  // The equation's text shrinks (to 60 % at the least) until it fits its box.
  function fitEquation(equation) {
    equation.style.fontSize = "";
    for (let size = 1; size > 0.6 && (equation.scrollWidth > equation.clientWidth + 1 ||
                                      equation.scrollHeight > equation.clientHeight + 1); size -= 0.05) {
      equation.style.fontSize = `${size - 0.05}em`;
    }
  }

  return function fit(panel, stage, equation, whole) {
    const view = graph.querySelector(".panel:not([hidden]) .view:not([hidden])");
    const svg = view && view.querySelector("svg");
    if (!svg) return;
    const layoutKey = `${panel.id} ${view.className} ${window.innerWidth}x${window.innerHeight}`;
    if (root.dataset.layoutKey !== layoutKey) {
      chooseLayout(svg, equation);
      root.dataset.layoutKey = layoutKey;
    }
    fitEquation(equation);
    if (!fits()) {  // this stage's equation does not fit beside the figure: the other layout, if it fits there
      const chosen = root.dataset.layout;
      root.dataset.layout = chosen === "wide" ? "tall" : "wide";
      fitEquation(equation);
      if (!fits()) {
        root.dataset.layout = chosen;
        fitEquation(equation);
      }
    }
    const shown = windowFor(panel, svg, stage, whole);
    moveTo(svg, shown);
    describe(panel, svg, shown, stage.phase === "rolled");
  };
}
