// The lecture page's equation rows (lecture_fit.js fits the equation to its box): a line too wide for the box goes
// on, indented, in a row of its own at a mark Python set where it reads on (lecture_stages.BREAK: before a comment
// in parentheses or a "+", after a colon or the comma between two norms), and comes back whole when the box is
// fitted again.
function tinygradRnnRows() {
  const mathml = (near, tag) => document.createElementNS(near.namespaceURI, tag);  // (MathML's, as its neighbour's)
  const breakMark = (near) => {
    const mark = mathml(near, "mspace");
    mark.setAttribute("class", "break");
    return mark;
  };
  // Each row wider than the box, from its last mark this side of the box's edge (its first, where none is): a row
  // of its own (classed "continued", and "detail" where its line is one), indented; again for that row.
  function wrap(equation) {
    const style = getComputedStyle(equation);
    const edge = equation.getBoundingClientRect().right - parseFloat(style.borderRightWidth) -
      parseFloat(style.paddingRight);
    for (let row = equation.querySelector("mtr"); row; row = row.nextElementSibling) {
      const line = row.querySelector("mrow.continuation") || row.querySelector("mspace.break")?.parentElement;
      const marks = line ? [...line.children].filter((child) => child.matches("mspace.break")) : [];
      if (!marks.length || line.getBoundingClientRect().right <= edge + 0.5) continue;
      const at = marks.filter((mark) => mark.getBoundingClientRect().left <= edge).pop() || marks[0];
      const next = row.cloneNode(false), cell = row.firstElementChild.cloneNode(false);
      const rest = mathml(line, "mrow"), indent = mathml(line, "mspace");
      rest.setAttribute("class", "continuation");
      indent.setAttribute("width", "1.5em");
      const after = [];
      for (let node = at.nextSibling; node; node = node.nextSibling) after.push(node);
      rest.append(indent, ...after);
      at.remove();
      if (!line.classList.contains("continuation")) line.classList.add("wrapped");
      next.classList.add("continued");
      cell.append(rest);
      next.append(cell);
      row.after(next);
    }
  }
  // The rows as Python wrote them: each continued row back at the end of the one before it, its mark again.
  function unwrap(equation) {
    for (const row of [...equation.querySelectorAll("mtr.continued")].reverse()) {
      const before = row.previousElementSibling;
      const line = before.querySelector("mrow.continuation") || before.querySelector(".wrapped");
      line.append(breakMark(line), ...[...row.querySelector("mrow.continuation").childNodes].slice(1));
      row.remove();
    }
  }
  return { wrap, unwrap };
}
