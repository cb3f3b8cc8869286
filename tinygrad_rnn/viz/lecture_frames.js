// An op-level figure's step frames (the box drawn round each step's ops, labelled t=k) in the lecture page's
// window: a frame the window cuts would run open into the window's edge. lecture_fit.js closes them as it clips
// the window (``closeFrames``) and keeps a side of the window from cutting one (``stepFrames``); step_frames.py
// does the same for an exported stage's slide. ``nodeBoxes`` and ``around`` are lecture_fit.js's: each node's
// rectangle by its index, in the figure's units, and the box around some boxes.
function tinygradRnnFrames(nodeBoxes, around) {
  // Each step's frame (an op-level figure's box around a step's ops: a .cluster's rect), its box in the figure's
  // units as drawn, the ops inside it and its label (t=2, with its box); measured once for a figure.
  function stepFrames(svg) {
    if (!svg.stepFrames) {
      svg.stepFrames = [...svg.querySelectorAll(".cluster")].filter((cluster) => cluster.querySelector("rect"))
        .map((cluster) => {
          const rect = cluster.querySelector("rect"), label = cluster.querySelector("text");
          const [x, y, w, h] = ["x", "y", "width", "height"].map((name) => Number(rect.getAttribute(name)));
          const ops = [...nodeBoxes(svg).values()].filter((b) => b.left >= x && b.right <= x + w && b.top >= y &&
                                                                   b.bottom <= y + h);
          const b = label && label.getBBox();
          return { rect, drawn: [x, y, w, h], ops, label, labelBox: b && [b.x, b.y, b.x + b.width, b.y + b.height],
                   line: (parseFloat(getComputedStyle(rect).strokeWidth) || 1) / 2 };  // (measured once, not a frame)
        });
    }
    return svg.stepFrames;
  }
  // A step's frame the shown part ([x, y, width, height], within the window ``view``) cuts would run open into the
  // window's edge (at 1,920 × 1,080 every frame of an op-level LSTM page did, at the top: its x_t below leaves the
  // window no room for the frame's top and its "t=k"). Where every op of the step is in view (what is cut off is
  // the frame's margin and its label), it is drawn closed inside the shown part, around all of them still; where
  // some are not, or the window has no room for its line, it is left out whole, as a cut arrow is, rather than
  // drawn round part of the step. A label the shown part cuts (an op-level tanh RNN's t=1 … t=4, sliced at the top
  // edge at 1,280 × 720) is left out too. Returns the shown part, grown where a closed frame's line needs it.
  function closeFrames(svg, shown, [vx, vy, vw, vh]) {
    let [left, top, right, bottom] = [shown[0], shown[1], shown[0] + shown[2], shown[1] + shown[3]];
    for (const frame of stepFrames(svg)) {
      const { rect, drawn: [x, y, w, h], ops, line } = frame;
      frame.box = [x, y, w, h];
      rect.style.visibility = "";
      const inside = x >= left - 0.5 && y >= top - 0.5 && x + w <= right + 0.5 && y + h <= bottom + 0.5;
      if (inside || x >= right || x + w <= left || y >= bottom || y + h <= top) continue;
      const all = ops.length && ops.every((b) => b.left >= left && b.right <= right && b.top >= top && b.bottom <= bottom);
      const gap = 3;  // (clear of the ops' outlines)
      const held = all && around(ops);
      // each side where it was drawn, or just inside the shown part, but never through an op; the shown part grown
      // (within the window: an LSTM's bottom side stood on its linear ops' outlines) where it leaves the line no room
      const [l, t] = held ? [Math.min(Math.max(x, left + line + 1), held.left - gap),
                             Math.min(Math.max(y, top + line + 1), held.top - gap)] : [];
      const [r, b] = held ? [Math.max(Math.min(x + w, right - line - 1), held.right + gap),
                             Math.max(Math.min(y + h, bottom - line - 1), held.bottom + gap)] : [];
      const room = held && l - line - 0.5 >= vx - 0.01 && t - line - 0.5 >= vy - 0.01 &&
        r + line + 0.5 <= vx + vw + 0.01 && b + line + 0.5 <= vy + vh + 0.01;
      if (!room) {
        rect.style.visibility = "hidden";
        continue;
      }
      [left, top] = [Math.min(left, l - line - 0.5), Math.min(top, t - line - 0.5)];
      [right, bottom] = [Math.max(right, r + line + 0.5), Math.max(bottom, b + line + 0.5)];
      frame.box = [l, t, r - l, b - t];
    }
    for (const { rect, box, label, labelBox } of stepFrames(svg)) {
      ["x", "y", "width", "height"].forEach((name, i) => rect.setAttribute(name, box[i].toFixed(2)));
      if (!label) continue;
      const [a, b, c, d] = labelBox;
      const cut = a < right && c > left && b < bottom && d > top && !(a >= left && c <= right && b >= top && d <= bottom);
      label.style.visibility = cut ? "hidden" : "";
    }
    return [left, top, right - left, bottom - top];
  }

  return { stepFrames, closeFrames };
}
