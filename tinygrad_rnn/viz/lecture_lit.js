// The lecture page's lit edges going back: each arrow the gradient crosses turned round (its arrowhead where the
// gradient goes) and labelled with what it carries back. (The export paints its slides alike, in Python:
// export_paint.py, ``_carries`` and ``_reversed_path``.)

// A lit edge's label says what it carries back, (∂h₄/∂h₃)ᵀ ∂J/∂h₄ (lines: SVG markup from Python), not
// the state it carried forward (h₃); unlit, its forward label again. The label is the SVG element right
// after its edge's path (svg.py writes each edge's label there). One line where it fits along the edge,
// else its lines stacked: above a horizontal edge, left of a vertical one, centred on the edge's middle.
function tinygradRnnCarries(edge, lines, spacing) {
  const label = edge.nextElementSibling;
  if (!label || !label.classList.contains("edge-label")) return;
  if (label.dataset.forward === undefined) {
    label.dataset.forward = label.innerHTML;
    label.dataset.at = [label.getAttribute("x"), label.getAttribute("y"), label.getAttribute("text-anchor")].join(" ");
  }
  const [x, y, anchor] = label.dataset.at.split(" ");
  label.setAttribute("x", x);
  label.setAttribute("y", y);
  label.setAttribute("text-anchor", anchor);
  label.classList.toggle("carried", Boolean(lines));
  if (!lines) { label.innerHTML = label.dataset.forward; return; }
  const [[x0, y0], [x1, y1]] = [edge.dataset.forward.match(/-?[\d.]+,-?[\d.]+/g)]
    .map((p) => [p[0], p[p.length - 1]].map((q) => q.split(",").map(Number)))[0];
  const across = Math.abs(x1 - x0) >= Math.abs(y1 - y0);
  const size = parseFloat(label.getAttribute("font-size")) || 9, step = 1.1 * size;
  label.innerHTML = `<tspan>${lines.join(" ")}</tspan>`;
  const length = Math.hypot(x1 - x0, y1 - y0);
  const shown = lines.length > 1 && label.getComputedTextLength() > length - 8 ? lines : [lines.join(" ")];
  const [mx, my] = [(x0 + x1) / 2, (y0 + y1) / 2];
  const left = across ? mx : Math.min(x0, x1) - 5;  // a vertical edge's: left, away from the next step's arrow
  // baselines: on the side of a horizontal edge its forward label was (an LSTM's c arrow's above, its h
  // arrow's below: the two lit labels apart), the line nearest the edge just off it; a vertical edge's
  // lines about its middle
  const below = Number(y) > Math.max(y0, y1);
  // each line under the first: a step, 0.2 of one more under a line whose subscript lies over a superscript of
  // the line under it (the limits of Σ over ∂J⁽ᵗ⁾): computed in Python, as the export sets them (``spacing``:
  // lecture_panel.lit_label_rows, in steps)
  const rows = shown.length > 1 ? spacing.map((lines) => lines * step) : [0];
  const first = !across ? my - (rows[rows.length - 1] + step) / 2 + 0.75 * size - 3  // (clear of the cell below)
    : below ? Math.max(y0, y1) + 3 + 0.8 * size : Math.min(y0, y1) - 4 - rows[rows.length - 1];
  label.setAttribute("text-anchor", across ? "middle" : "end");
  const write = (top) => {
    label.innerHTML = shown.map((line, n) =>
      `<tspan x="${left.toFixed(1)}" y="${(top + rows[n]).toFixed(1)}">${line}</tspan>`).join("");
  };
  write(first);
  // a horizontal edge's label wider than the gap it crosses (∂J/∂h₅ between two cells a slide's spacing
  // apart ran under both) stands clear of its two nodes: over their tops, or under their bottoms
  const ends = [edge.dataset.tail, edge.dataset.head]
    .map((i) => edge.ownerSVGElement.querySelector(`[data-index="${i}"] rect`)).filter(Boolean)
    .map((rect) => rect.getBBox());
  const box = label.getBBox(), pad = 3;
  const onNode = ends.some((r) => box.x < r.x + r.width + pad && box.x + box.width > r.x - pad &&
                                  box.y < r.y + r.height + pad && box.y + box.height > r.y - pad);
  if (across && onNode) {
    const moved = below ? Math.max(...ends.map((r) => r.y + r.height)) + pad - box.y
      : Math.min(...ends.map((r) => r.y)) - pad - (box.y + box.height);
    write(first + moved);
  }
}

// The lit edge of the backward pass carries the gradient back, from step t+1 to step t: its
// arrowhead is at the tail's end. The route is drawn reversed: from the head's border to an
// arrowhead's length short of the tail's (as every forward edge stops short of its head).
function tinygradRnnPointBack(edge, back) {
  if (!edge.dataset.forward) edge.dataset.forward = edge.getAttribute("d");
  edge.dataset.direction = back ? "back" : "forward";
  if (!back) { edge.setAttribute("d", edge.dataset.forward); return; }
  const marker = edge.ownerSVGElement.querySelector("marker");
  const arrow = Number(marker ? marker.getAttribute("markerWidth") : 6);
  const points = edge.dataset.forward.match(/-?[\d.]+,-?[\d.]+/g).map((p) => p.split(",").map(Number)).reverse();
  const along = ([x, y], [px, py], length) => {  // from (x, y), length further away from (px, py)
    const d = Math.hypot(x - px, y - py);
    return d > length ? [x + (x - px) / d * length, y + (y - py) / d * length] : [x, y];
  };
  if (points.length >= 2) {
    points[0] = along(points[0], points[1], arrow);  // out to the head's border
    const n = points.length;
    points[n - 1] = along(points[n - 1], points[n - 2], -arrow);  // an arrowhead short of the tail
  }
  edge.setAttribute("d", points.map(([x, y], i) => `${i ? "L" : "M"}${x.toFixed(1)},${y.toFixed(1)}`).join(" "));
}
