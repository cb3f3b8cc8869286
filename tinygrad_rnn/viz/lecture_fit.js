// Fitting the lecture page to the window (a projector's 1,280 × 720 to 3,840 × 2,160): nothing
// scrolls; the equation shrinks to its box; the figure takes the space the rest leaves.
//
// The figure's text stays as large as the page's own (24 px at 1,920 wide) wherever that holds what
// the stage's text names. Where the whole figure, scaled into its space, would write smaller than
// that, the page shows a window onto it around what the stage names (the rule: stage_window.py, which
// the export follows too), and says which steps are in view and where the figure goes on; Z (or the
// button) shows the whole figure instead, however small. Nothing is redrawn or left out but what
// the window would cut (an arrow, a node mid-glide, a step's frame or its label: lecture_frames.js
// closes a frame inside the window where it can): the window chooses the SVG's viewBox and its clip.
function tinygradRnnFit(root, graph, note) {
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
  // Each node's rectangle by its index, in the figure's units (where it ends up, not mid-slide): measured
  // once for a figure, which every fit reads (the page colours its nodes, never moves their rectangles).
  function nodeBoxes(svg) {
    if (!svg.nodeBoxes) {
      svg.nodeBoxes = new Map();
      for (const node of svg.querySelectorAll(".node:not(.other-sum)")) {  // (the sums' Σ not chosen: not drawn)
        const rect = node.querySelector("rect");
        if (!rect) continue;
        const left = Number(rect.getAttribute("x")), top = Number(rect.getAttribute("y"));
        const right = left + Number(rect.getAttribute("width")), bottom = top + Number(rect.getAttribute("height"));
        if (left < right) svg.nodeBoxes.set(node.dataset.index, { left, right, top, bottom, node });
      }
    }
    return svg.nodeBoxes;
  }
  const boxesOf = (svg, indices) => indices.map((i) => nodeBoxes(svg).get(String(i))).filter(Boolean);
  function around(boxes) {  // the box around some boxes, or null for none
    let left = Infinity, right = -Infinity, top = Infinity, bottom = -Infinity;
    for (const b of boxes) {
      left = Math.min(left, b.left);
      right = Math.max(right, b.right);
      top = Math.min(top, b.top);
      bottom = Math.max(bottom, b.bottom);
    }
    return left < right ? { left, right, top, bottom } : null;
  }

  const { stepFrames, closeFrames } = tinygradRnnFrames(nodeBoxes, around);  // (the steps' frames: lecture_frames.js)
  const { fits, fitEquation } = tinygradRnnEquation(root);  // (the equation fitted to its box: lecture_equation.js)

  // What the stage's text names (its cells, h₀ and c₀, its J_t), grown to whole nodes and padded as the window
  // pads a node: stage.named_box, computed in Python (stage_window.named_box, the one statement of the rule,
  // which the export follows too) from this figure's own rectangles, in its units.
  // A backward stage's box holds the whole chain of cells (stage_window.held_nodes) where that keeps the figure's
  // text as large as the page's; where it would not (1,280 × 720: the chain at 12–16 px, the lit arrow's label
  // the smallest text on the screen), the box of what the text names alone (stage.near_box: the cells t and
  // t ± 1), at the page's text size. The layout is chosen on the chain's (heldBox): the one that holds it.
  const asBox = (b) => b && { left: b[0], top: b[1], right: b[2], bottom: b[3] };
  // (The sums stage's: the chosen weight's, its own Σ beside the steps: stage.weight_boxes, by root.dataset.weight.)
  const heldBox = (svg, stage) => asBox(stage.weight_boxes ? stage.weight_boxes[Number(root.dataset.weight) || 0] :
    stage.named_box);
  function namedBox(svg, stage) {
    // (the sums stage's chosen weight: its box without what its terms' rows feed, J⁽ᵗ⁾ over the head's Σ)
    const chosen = Number(root.dataset.weight) || 0;
    const held = heldBox(svg, stage), near = asBox(stage.weight_near ? stage.weight_near[chosen] : stage.near_box);
    if (!held || !near) return held;
    const needed = parseFloat(getComputedStyle(root).fontSize) / smallestFont(svg);
    const chain = withLit(held, svg);
    return scaleFor(chain, svg.getBoundingClientRect(), needed) >= needed - 1e-9 ? held : near;
  }
  // The labels of the arrows the stage lights, what they carry back (lecture_lit.js), each with a unit
  // to spare (a label has no outline): in view with what the stage names (over a row of cells where wider than
  // their gap, the first line of an LSTM's (∂c₂/∂c₁)ᵀ ∂J/∂c₂ was cut off at 1,280 × 720).
  // The sums stage's step labels t=1 … T on the chosen weight's arrows are kept so too (U's, over the head's bus, were
  // cut in half by a side moved in clear of the arrows from the head to J⁽ᵗ⁾).
  const litLabels = (svg) => [...svg.querySelectorAll(".edge-label.carried, .edge-label.term-arrow")]
    .map((label) => label.getBBox())
    .map((b) => ({ left: b.x - 1, right: b.x + b.width + 1, top: b.y - 1, bottom: b.y + b.height + 1 }));
  const withLit = (box, svg) => box && around([box, ...litLabels(svg)]);
  const namedAndLit = (svg, stage) => withLit(namedBox(svg, stage), svg);
  const heldAndLit = (svg, stage) => withLit(heldBox(svg, stage), svg);
  // The scale (px per figure unit) of the rule: the readable one, or less where what is named would not
  // fit the box so (stage_window._scale_for: the same).
  const scaleFor = (named, box, needed) => named ?
    Math.min(needed, box.width / (named.right - named.left), box.height / (named.bottom - named.top)) : needed;
  // The widest and the tallest of what the stages of this view (its figure: stage.view) name, in the figure's units;
  // the unrolled figure's, with the row the sums name (stage.row_box: their own figure adds each row's Σ to it).
  function namedExtent(panel, svg, view) {
    let wide = 0, tall = 0;
    // (the unrolled stage: its own layout, the figure across the page, ``place``)
    for (const stage of panel.stages.filter((s) => s.phase !== "unrolled" && s.view === view ||
                                                   view === "unrolled" && s.row_box)) {
      const b = stage.view === view ? namedBox(svg, stage) : asBox(stage.row_box);
      if (b) { wide = Math.max(wide, b.right - b.left); tall = Math.max(tall, b.bottom - b.top); }
    }
    return { wide, tall };
  }

  // The viewBox that shows the stage (stage_window.py states the rule): the whole figure if its text is
  // large enough so; else a window at the readable scale, or at the scale that holds what the stage
  // names where that is less, what is named in it and the rest filled around it.
  function windowFor(svg, stage, whole) {
    const full = fullBox(svg);
    const [fx, fy, fw, fh] = full;
    const box = svg.getBoundingClientRect();
    const named = namedAndLit(svg, stage);
    const needed = parseFloat(getComputedStyle(root).fontSize) / smallestFont(svg);  // px per unit
    const scale = scaleFor(named, box, needed);
    svg.dataset.scaledToNamed = String(scale < needed - 1e-9);
    if (whole || Math.min(box.width / fw, box.height / fh) >= scale || !box.width || !box.height) return full;
    const w = Math.min(fw, box.width / scale), h = Math.min(fh, box.height / scale);
    const focus = named || { left: fx, right: fx + fw, top: fy, bottom: fy + fh };
    // the focus's column (its input below, its output and loss above) when it fits; else the part the
    // pass comes from: the inputs going forward, the loss coming back
    const column = around([...nodeBoxes(svg).values()].filter((b) => b.right > focus.left && b.left < focus.right))
      || focus;
    let top = (column.top + column.bottom) / 2 - h / 2;
    if (column.bottom - column.top > h) {  // too tall: the side the pass comes from, the focus kept in view
      top = stage.phase === "forward" ? Math.max(column.bottom, focus.bottom) - h :
        stage.phase === "backward" ? Math.min(column.top, focus.top) : (focus.top + focus.bottom) / 2 - h / 2;
      top = clamp(top, focus.bottom - h, focus.top);
    }
    let x = clamp((focus.left + focus.right) / 2 - w / 2, fx, fx + fw - w), y = clamp(top, fy, fy + fh - h);
    // whole nodes and whole labels: each side of the window moved, if it must, to where it cuts none
    // (a label sliced at the top edge, a cell half cut at the bottom), the stage's focus kept in view
    // — or, where no position cuts none, the part of the window that does is all that shows (clipped)
    const lit = litLabels(svg), boxes = [...wholeBoxes(svg), ...lit];
    let across, down;
    for (let pass = 0; pass < 2; pass++) {
      across = wholeAlong(x, w, fx, fw, boxes.filter((b) => b.bottom > y && b.top < y + h)
        .map((b) => [b.left, b.right]), [focus.left, focus.right]);
      x = across[0];
      // (a box the sides cut, which no side could clear, is cut unless the window ends short of it: the sums' e₆
      // under a row of 6 steps beside the Σ, wider than its cell, stood cut at the right edge)
      const [shownLeft, shownRight] = [across[1], across[2]];
      down = wholeAlong(y, h, fy, fh, boxes.filter((b) => b.right > x && b.left < x + w).map((b) =>
        b.left >= shownLeft - 0.5 && b.right <= shownRight + 0.5 || b.top < focus.bottom && b.bottom > focus.top ?
          [b.top, b.bottom] : b.top >= focus.bottom ? [b.top, Infinity] : [-Infinity, b.bottom]),
      [focus.top, focus.bottom]);
      y = down[0];
    }
    const view = [x, y, w, h];
    view.shown = clearOfArrows(svg, [across[1], down[1], across[2] - across[1], down[2] - down[1]], boxes, lit);
    return view;
  }

  // Each arrow (its line and its head, in the figure's units: [left, top, right, bottom]) and the nodes at its
  // two ends. A route is a polyline; its head points on along its last segment, markerWidth × its stroke long.
  function arrows(svg) {
    const marker = svg.querySelector("marker");
    const length = Number(marker ? marker.getAttribute("markerWidth") : 6);
    return [...svg.querySelectorAll("path.edge:not(.other-sum)")].map((edge) => {
      const points = (edge.getAttribute("d").match(/-?[\d.]+,-?[\d.]+/g) || []).map((p) => p.split(",").map(Number));
      if (points.length < 2) return null;
      const [[px, py], [ex, ey]] = points.slice(-2), d = Math.hypot(ex - px, ey - py) || 1;
      const head = length * (parseFloat(getComputedStyle(edge).strokeWidth) || 1);
      points.push([ex + (ex - px) / d * head, ey + (ey - py) / d * head]);
      const xs = points.map((p) => p[0]), ys = points.map((p) => p[1]);
      return { left: Math.min(...xs), right: Math.max(...xs), top: Math.min(...ys), bottom: Math.max(...ys),
               ends: [edge.dataset.tail, edge.dataset.head], edge };
    }).filter(Boolean);
  }
  // The shown part of the window ([x, y, width, height]) with each side moved in, where an arrow runs out
  // across it, to the outline of the node the arrow meets inside: an arrow cut by the window's edge would
  // come from nowhere (the x_t arrows under a backward stage's row of cells stood as stubs at its bottom
  // edge; going forward, h₇'s arrow out of cell 7 toward cell 8 ran out at the right edge). A label wholly in
  // the strip the side loses (h₇'s) goes with it — but a lit arrow's label (``lit``), what the stage says the arrow
  // carries back, is kept as a node is (an LSTM's h arrow's two lines, (1/8)Σₜ₌₅⁸ ∂Lₜ/∂h₄, hung under the cells at
  // stages 14–18 of an 8-step page and went with the strip under them: the panel pointed at an arrow with no
  // label); a side never cuts a node or a label, nor leaves a node or a lit label out:
  // where a node reaches into the strip (an LSTM's h₀ and c₀ beside cell 1, lower than the cells), or a label
  // across it into what stays, it stops at that one's far edge (stage_window._clear_of_arrows: the same, for
  // the nodes); the arrows it still cuts are left out whole (clipTo). A side moved may leave another arrow cut,
  // so the arrows are looked at again until none moves.
  function clearOfArrows(svg, shown, boxes, lit) {
    let [left, top, right, bottom] = [shown[0], shown[1], shown[0] + shown[2], shown[1] + shown[3]];
    const nodes = nodeBoxes(svg), outline = (index) => {
      const rect = svg.querySelector(`[data-index="${index}"] rect`);
      return rect ? (parseFloat(getComputedStyle(rect).strokeWidth) || 0) / 2 : 0;  // (its outer edge)
    };
    // the far edges, along the axis, of the boxes in view reaching across ``to`` into the strip between ``from``
    // and ``to`` (and of a node's outline, drawn outside its box: 1.5 units, a thick one's half)
    const nodeBoxesShown = new Set(nodes.values());
    const kept = new Set(lit), labels = new Set(boxes.filter((b) => !nodeBoxesShown.has(b) && !kept.has(b)));
    const reaching = (from, to, low, high) => boxes.filter((b) => (labels.has(b) ? low(b) < to - 0.01 &&
      high(b) > to + 0.01 : high(b) > Math.min(from, to) + 0.01 && low(b) < Math.max(from, to) - 0.01) &&
      b.right > left && b.left < right && b.bottom > top && b.top < bottom)
      .map((b) => from < to ? low(b) - 1.5 : high(b) + 1.5);
    // and of the steps' frames (op-level figures) that lie across the window along the axis: a side stops outside
    // such a frame, not through it (at 1,280 × 720 the side moved in to o₂'s outline cut step 2's frame, its line
    // running into the window's edge), and the arrows it then cuts are left out whole
    const framesAcross = (from, to, low, high, [first, last]) => stepFrames(svg)
      .map(({ drawn: [x, y, w, h] }) => ({ left: x, right: x + w, top: y, bottom: y + h }))
      .filter((b) => low(b) >= first - 0.5 && high(b) <= last + 0.5 && high(b) > Math.min(from, to) + 0.01 &&
                     low(b) < Math.max(from, to) - 0.01)
      .map((b) => from < to ? low(b) - 1.5 : high(b) + 1.5);
    const all = arrows(svg);
    for (let moved = true, pass = 0; moved && pass < 8; pass++) {
      moved = false;
      for (const arrow of all) {
        const inside = arrow.ends.find((i) => { const b = nodes.get(i);
          return b && b.left >= left - 0.5 && b.right <= right + 0.5 && b.top >= top - 0.5 && b.bottom <= bottom + 0.5; });
        if (inside === undefined) continue;  // (an arrow between two nodes out of view: what it cuts is its own)
        const node = nodes.get(inside), o = outline(inside);
        const sides = [  // [crosses this side, where the side moves to, axis, which side]
          [arrow.bottom > bottom + 0.5 && arrow.top < bottom && arrow.top >= node.bottom - 0.5, node.bottom + o, "y", 1],
          [arrow.top < top - 0.5 && arrow.bottom > top && arrow.bottom <= node.top + 0.5, node.top - o, "y", 0],
          [arrow.right > right + 0.5 && arrow.left < right && arrow.left >= node.right - 0.5, node.right + o, "x", 1],
          [arrow.left < left - 0.5 && arrow.right > left && arrow.right <= node.left + 0.5, node.left - o, "x", 0]];
        for (const [crosses, to, axis, far] of sides) {
          if (!crosses) continue;
          const across = axis === "x" ? [left, right] : [top, bottom];
          const from = across[far];  // (the strip the side would lose: from it to the node's outline)
          const [low, high] = axis === "y" ? [(b) => b.top, (b) => b.bottom] : [(b) => b.left, (b) => b.right];
          const stops = [...reaching(from, to, low, high), ...framesAcross(from, to, low, high, axis === "y" ?
            [top, bottom] : [left, right])];
          const moved_to = far ? Math.min(from, Math.max(to, ...stops)) : Math.max(from, Math.min(to, ...stops));
          if (Math.abs(moved_to - from) > 0.01) moved = true;
          if (axis === "y") [top, bottom] = far ? [top, moved_to] : [moved_to, bottom];
          else [left, right] = far ? [left, moved_to] : [moved_to, right];
        }
      }
    }
    return [left, top, right - left, bottom - top];
  }

  // Every node's rectangle and every label's box, in the figure's units (its SVG has no transforms).
  function wholeBoxes(svg) {
    if (!svg.wholeBoxes) {
      const labels = [...svg.querySelectorAll("text")].filter((text) => !text.closest(".other-sum")).map((text) => {
        const b = text.getBBox();
        return { left: b.x, right: b.x + b.width, top: b.y, bottom: b.y + b.height };
      });
      svg.wholeBoxes = [...nodeBoxes(svg).values(), ...labels.filter((b) => b.right > b.left)];
    }
    return svg.wholeBoxes;
  }
  // Where a window of ``size`` along one axis starts (within first … first + extent) so that neither
  // of its sides cuts a span and the focus stays whole: the start nearest the one asked for (a window
  // that cuts nothing but has lost what the stage is about is no choice). Where every start that keeps
  // the focus cuts something, the one that leaves the most whole in view, what its sides cut clipped
  // off: [start, first shown, last shown].
  function wholeAlong(start, size, first, extent, spans, focus) {
    const pad = 4, low = first, high = first + extent - size;
    if (high <= low + 0.01) return [low, low, low + size];  // the whole axis in view (-4.6 + 104.6 - 104.6 > -4.6)
    const padded = tinygradRnnPads(spans, pad);
    const keeps = (c) => c <= focus[0] + 0.5 && c + size >= focus[1] - 0.5;
    const starts = [start, low, high, ...padded.flatMap(([a, b]) => [a, b - size, b, a - size])]
      .filter((c) => c >= low - 0.01 && c <= high + 0.01 && keeps(c));
    let best = null;
    for (const c of starts.length ? starts : [start]) {
      const [from, to] = wholeInside(c, c + size, padded, focus);
      const better = !best || to - from > best[2] - best[1] + 0.01 ||
        to - from > best[2] - best[1] - 0.01 && Math.abs(c - start) < Math.abs(best[0] - start);
      if (better) best = [c, from, to];
    }
    return best[1] < best[2] ? best : [start, start, start + size];
  }
  // The part of from … to that cuts no span: each side moved in past what it cuts (again, as a side
  // moved past one span may land in another), never into the focus (what the stage names stays shown).
  function wholeInside(from, to, padded, focus) {
    for (let moved = true; moved && from < to;) {
      moved = false;
      for (const [a, b] of padded) {
        if (a < from - 0.01 && b > from + 0.01 && from < focus[0] - 0.5) { from = Math.min(b, focus[0]); moved = true; }
        if (a < to - 0.01 && b > to + 0.01 && to > focus[1] + 0.5) { to = Math.max(a, focus[1]); moved = true; }
      }
    }
    return [from, to];
  }

  // Only the part of the window that cuts no node shows: the rest of the SVG's box is clipped. An arrow that
  // part still cuts — where no side could move in clear of it without cutting a node (an LSTM's h₀ and c₀,
  // lower than the cells, keep the bottom edge below the e_t arrows into cells 2 … T; J₁ and e₁, wider than
  // cell 1, keep the left edge across h₀'s arrow; a route from J_t up to the mean loss out of view) — is
  // left out whole rather than drawn as a stub from nowhere (the line under the figure says it goes on).
  function clipTo(svg, view) {
    svg.style.clipPath = "";
    svg.shownBox = closeFrames(svg, view.shown || view, view);  // (where a glide to the next window starts from)
    const [sx0, sy0, sw0, sh0] = svg.shownBox;
    for (const arrow of arrows(svg)) {
      const meets = arrow.right > sx0 + 0.5 && arrow.left < sx0 + sw0 - 0.5 && arrow.bottom > sy0 + 0.5 &&
        arrow.top < sy0 + sh0 - 0.5;
      const whole = arrow.left >= sx0 - 0.5 && arrow.right <= sx0 + sw0 + 0.5 && arrow.top >= sy0 - 0.5 &&
        arrow.bottom <= sy0 + sh0 + 0.5;
      arrow.edge.style.visibility = meets && !whole ? "hidden" : "";
    }
    // and a node that part still cuts, where no side could clear it without cutting what the stage names (J, a
    // unit over the Σ of the head's weights, at the window's top when that Σ is chosen): left out whole as well
    for (const b of nodeBoxes(svg).values()) {
      const o = 1.5;  // (its outline, drawn outside it)
      const meets = b.right + o > sx0 + 0.5 && b.left - o < sx0 + sw0 - 0.5 && b.bottom + o > sy0 + 0.5 &&
        b.top - o < sy0 + sh0 - 0.5;
      const whole = b.left >= sx0 - 0.5 && b.right <= sx0 + sw0 + 0.5 && b.top >= sy0 - 0.5 &&
        b.bottom <= sy0 + sh0 + 0.5;
      b.node.style.visibility = meets && !whole ? "hidden" : "";
    }
    if (!view.shown) return;
    const box = svg.getBoundingClientRect(), [x, y, w, h] = view, [sx, sy, sw, sh] = svg.shownBox;
    const scale = Math.min(box.width / w, box.height / h);
    const left = (box.width - w * scale) / 2 + (sx - x) * scale, top = (box.height - h * scale) / 2 + (sy - y) * scale;
    const right = box.width - left - sw * scale, bottom = box.height - top - sh * scale;
    svg.style.clipPath = `inset(${top.toFixed(1)}px ${right.toFixed(1)}px ${bottom.toFixed(1)}px ${left.toFixed(1)}px)`;
  }

  const moveTo = tinygradRnnGlide(root, nodeBoxes, clipTo);  // (the window's glide: lecture_glide.js)

  // Which steps the window shows, and where the figure goes on beyond it (▲ ▼ ◀ ▶): the sides with nodes
  // beyond them (stage_window._in_view: the same), not a margin the window leaves out (the room over the
  // cells for a lit arrow's label said ▲ where nothing more was). The note keeps its room when hidden, so
  // showing it never moves the figure it describes.
  function describe(panel, svg, view, rolled) {
    const [left, top, width, height] = view.shown || view;  // (what clipTo leaves: a cell half in it is clipped)
    const nodes = [...nodeBoxes(svg).values()];
    const sides = [[nodes.some((b) => b.top < top - 0.5), "▲", "above"],
                   [nodes.some((b) => b.bottom > top + height + 0.5), "▼", "below"],
                   [nodes.some((b) => b.left < left - 0.5), "◀", "to the left"],
                   [nodes.some((b) => b.right > left + width + 0.5), "▶", "to the right"]];
    const more = sides.filter(([cut]) => cut);
    note.style.visibility = more.length ? "visible" : "hidden";
    graph.dataset.more = more.map(([, , side]) => side).join(", ");
    if (!more.length) return;
    const shown = rolled ? [] : Object.keys(panel.cells).map(Number).filter((t) => {
      const b = around(boxesOf(svg, panel.cells[String(t)] || []));
      return b && b.left >= left - 1 && b.right <= left + width + 1;
    });
    const [first, last] = [Math.min(...shown), Math.max(...shown)];
    const steps = !shown.length ? "a window onto the figure" :
      `${first === last ? `step ${first}` : `steps ${first}–${last}`} of ${panel.steps} in view`;
    note.textContent = `${steps}, more ${more.map(([, arrow]) => arrow).join("")} · Z: whole figure`;
    note.title = `the figure goes on ${graph.dataset.more}; Z (or ⤢) shows all of it, with smaller text`;
  }

  // The layout that shows more of the figure at the readable scale: the figure across the top
  // (wide unrolled strips) or beside the equation and the bars (tall figures, long language models).
  // A layout in which the equation, the bars or the page itself would overflow is not a choice; of
  // the others, one whose window holds what every stage names at the readable scale (``named``: the
  // widest and the tallest, in the figure's units) comes first.
  function chooseLayout(svg, equation, named) {
    const [, , fw, fh] = fullBox(svg);
    const needed = parseFloat(getComputedStyle(root).fontSize) / smallestFont(svg);
    let best = null;
    for (const layout of ["wide", "tall"]) {
      root.dataset.layout = layout;
      fitEquation(equation);
      const box = svg.getBoundingClientRect();
      const scale = Math.min(box.width / fw, box.height / fh);
      // 1 where the window holds what every stage names at the readable scale, else the fraction of that
      // scale at which it does (the whole chain of a language model, smaller in one layout than the other)
      const holds = Math.min(1, ...[[box.height, fh, named.tall], [box.width, fw, named.wide]].map(
        ([room, whole, asked]) => room / needed >= Math.min(whole, asked) - 0.5 ? 1 : room / needed / Math.min(whole, asked)));
      const shown = (fits() ? 2 : 0) + holds +
        Math.min(1, box.width / needed / fw) * Math.min(1, box.height / needed / fh);
      if (!best || shown > best.shown + 0.02 || shown >= best.shown - 0.02 && scale > best.scale * 1.05) {
        best = { layout, shown, scale };
      }
    }
    root.dataset.layout = best.layout;
  }
  // Where what the stage names makes this layout's figure smaller than the page's text (rule 2 of
  // stage_window.py: at 1,280 × 720, a language model's last backward stage in a strip under its long
  // equation), the other layout, if it fits and its smaller of the two — the figure's text, the
  // equation's — is the larger: the least legible text on the screen as large as it can be.
  function legibility(svg, stage, equation) {
    const [, , fw, fh] = fullBox(svg), box = svg.getBoundingClientRect();
    const page = parseFloat(getComputedStyle(root).fontSize), needed = page / smallestFont(svg);
    const scale = Math.max(scaleFor(namedAndLit(svg, stage), box, needed),
                           Math.min(box.width / fw, box.height / fh));
    const held = scaleFor(heldAndLit(svg, stage), box, needed) >= needed - 1e-9;  // (the whole chain, readable)
    return { scaled: scale < needed - 1e-9, held,
             px: Math.min(Math.min(scale, needed) * smallestFont(svg), parseFloat(getComputedStyle(equation).fontSize)) };
  }
  // (Or where this layout holds only the cells around the step at that size and the other the whole chain.)
  function preferLegible(svg, stage, equation) {
    const chosen = root.dataset.layout, here = legibility(svg, stage, equation);
    if (!here.scaled && here.held) return;
    root.dataset.layout = chosen === "wide" ? "tall" : "wide";
    fitEquation(equation, true);
    const there = fits() && legibility(svg, stage, equation);
    if (there && (here.scaled ? there.px > here.px * 1.05 : there.held && !there.scaled)) return;
    root.dataset.layout = chosen;
    fitEquation(equation);
  }

  // The stage's layout: the one chosen for the view (not the one a stage before it fell back to), or the other
  // where this stage's equation does not fit beside the figure and does there; then the more legible of the two.
  // The unrolled stage ("the same cell at every step", the language model every lecture draws, x_t to J) has the
  // figure across the page, its equation under it, and no bars or colour scale, which have nothing to show before
  // the gradient comes back (lecture.css): framed in the layout of the stages after it, the whole network was
  // 16.7 px at 1,920 × 1,080, or x_t out of view.
  function place(svg, stage, equation, whole) {
    root.dataset.layout = stage.phase === "unrolled" ? "figure" : root.dataset.chosen;
    fitEquation(equation);
    if (!fits()) {
      const chosen = root.dataset.layout;
      root.dataset.layout = chosen === "wide" ? "tall" : "wide";
      fitEquation(equation);
      if (!fits()) {
        root.dataset.layout = chosen;
        fitEquation(equation);
      }
    }
    if (!whole) preferLegible(svg, stage, equation);
  }
  // A stage's details (its rows classed "detail": an LSTM's or a GRU's local Jacobian, one factor of the product on
  // the line under it) are folded where that makes the least legible text on the screen larger: at 1,280 × 720 an
  // LSTM language model's t = 1 had one line too many to stand beside the figure, which went across the top, its lit
  // labels at 11.9 px; at 1,280 × 680 its rows beside the figure stood at 14.9 px, folded at 15.6 (the page's: 18.8).
  // ``data-foldable`` shows the button (and D) that opens them, ``data-details="open"`` keeps them open; the whole
  // figure (Z) and paper show them all.
  function placeDetails(svg, stage, equation, whole) {
    delete root.dataset.folded;
    delete root.dataset.foldable;
    place(svg, stage, equation, whole);
    if (whole || !equation.querySelector("mtr.detail")) return;
    const open = legibility(svg, stage, equation), page = parseFloat(getComputedStyle(root).fontSize) - 0.05;
    if (!open.scaled && open.px >= page) return;  // (or the equation is under the page's text: an LSTM's t = 1)
    root.dataset.foldable = "true";
    root.dataset.folded = "true";
    place(svg, stage, equation, whole);
    const folded = legibility(svg, stage, equation).px;
    const better = folded > open.px * (open.scaled ? 1.05 : 1.02);  // (the equation under the page's text: 2 %)
    if (better && root.dataset.details !== "open") return;
    if (!better) delete root.dataset.foldable;
    delete root.dataset.folded;
    place(svg, stage, equation, whole);
  }

  // The bars' chart a line shorter (``data-bars="short"``, lecture.css) where the figure across the page is drawn
  // under the page's text and that sets the least legible text on the screen larger: at 1,280 × 720 an 8-step tanh
  // RNN's sums stage, its figure bound by its height (the Σ over the row), was 14.6 px beside the page's 18.8.
  // (and only where the axis's ticks stand a line of their text apart: the three cells' page's five decades stand
  // 16.4 px apart on the shorter chart at 1,280 × 720, their text 14.7)
  function ticksApart() {
    const ticks = [...root.querySelectorAll(".sums .axis .tick")];
    const centres = ticks.map((tick) => { const r = tick.getBoundingClientRect(); return (r.top + r.bottom) / 2; })
      .sort((a, b) => a - b);
    return centres.every((c, k) => !k || c - centres[k - 1] >= parseFloat(getComputedStyle(ticks[k]).fontSize));
  }
  function placeBars(svg, stage, equation, whole) {
    delete root.dataset.bars;
    if (whole || root.dataset.layout !== "wide") return;
    const tall = legibility(svg, stage, equation);
    if (!tall.scaled) return;
    root.dataset.bars = "short";
    fitEquation(equation);  // (its row, which the bars set, is shorter too)
    if (fits() && ticksApart() && legibility(svg, stage, equation).px > tall.px * 1.02) return;
    delete root.dataset.bars;
    fitEquation(equation);
  }

  return function fit(panel, stage, equation, whole) {
    const view = graph.querySelector(".panel:not([hidden]) .view:not([hidden])");
    const svg = view && view.querySelector("svg");
    if (!svg) return;
    const layoutKey = `${panel.id} ${view.className} ${window.innerWidth}x${window.innerHeight}`;
    if (root.dataset.layoutKey !== layoutKey) {
      chooseLayout(svg, equation, namedExtent(panel, svg, stage.view));
      root.dataset.layoutKey = layoutKey;
      root.dataset.chosen = root.dataset.layout;
    }
    placeDetails(svg, stage, equation, whole);
    placeBars(svg, stage, equation, whole);
    const shown = windowFor(svg, stage, whole);
    moveTo(svg, shown, stage);
    describe(panel, svg, shown, stage.phase === "rolled");
  };
}

// Each span [low, high] with a pad on either side, but where two spans stand closer than two pads, their pads meet in
// the middle of the gap (stage_window.padded_spans: the same rule, for an exported stage; the tests run both on the
// same cases): at 1,920 × 1,080 an LSTM's unrolled stage (CS224N's names) showed 2 of its 8 steps, the padded cells
// and the c⁽ᵗ⁾, h⁽ᵗ⁾ labels between them one span from cell 2 to cell 8, and a side moved past the first stepped
// over them all.
function tinygradRnnPads(spans, pad) {
  return spans.map(([a, b]) => {
    let low = a - pad, high = b + pad;
    for (const [c, d] of spans) {
      if (d <= a && d + pad > low) low = Math.max(low, (d + a) / 2);
      if (c >= b && c - pad < high) high = Math.min(high, (b + c) / 2);
    }
    return [low, high];
  });
}
