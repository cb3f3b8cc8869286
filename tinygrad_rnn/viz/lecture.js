// The lecture page's behaviour. Every number and equation it shows was computed by tinygrad_rnn and
// embedded as JSON beside this script; nothing is computed here but colours and positions.
// Keys: ← → step back and forth, Home / End, space plays, T switches the theme, Z shows the whole
// figure, D opens a stage's details where a narrow window folds them; hover or focus a node to
// inspect it. The root element says where the page is: data-phase, data-stage. (Its numbers: lecture_numbers.js.)

function tinygradRnnLecture(root) {
  if (root.dataset.ready) return;
  root.dataset.ready = "1";
  const data = JSON.parse(root.querySelector("script.tgr-data").textContent);
  const VIRIDIS = ["#440154", "#472d7b", "#3b528b", "#2c728e", "#21918c", "#28ae80", "#5ec962", "#addc30", "#fde725"];
  const FORWARD = "#fdb863";  // a cell the forward pass has computed
  // the smallest share of their size the bars' values are set at to keep each over its own bar: 0.7 of 0.78em is
  // 10.2 px at 1,280 × 720 (the 10 px floor the browser walk checks)
  const VALUE_SCALE_FLOOR = 0.7;
  const scale = data.scale;
  const state = { panel: 0, stage: 0, weight: 0, timer: null, shown: null };

  // Log-scaled viridis (readable by colour-blind viewers and in grey), as in the static figures.
  function colour(value, low, high) {
    if (!(value > 0)) return "#bbbbbb";
    const span = Math.log10(high) - Math.log10(low);
    const position = span <= 0 ? 1 : (Math.log10(value) - Math.log10(low)) / span;
    return VIRIDIS[Math.round(Math.min(Math.max(position, 0), 1) * (VIRIDIS.length - 1))];
  }
  const escapeHtml = (text) => String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  const dark = (fill) => VIRIDIS.indexOf(fill) >= 0 && VIRIDIS.indexOf(fill) < 5;
  const fmt = tinygradRnnNumber;
  function element(tag, attributes, text) {
    const made = document.createElement(tag);
    for (const [key, value] of Object.entries(attributes || {})) made.setAttribute(key, value);
    if (text !== undefined) made.textContent = text;
    return made;
  }

  const header = element("div", { class: "bar header" });
  const themeButton = element("button", { type: "button", class: "theme", "aria-label": "switch the theme" });
  header.append(element("h1", {}, data.title), themeButton);
  root.appendChild(header);
  function setTheme(theme) {
    root.dataset.theme = theme;
    themeButton.textContent = theme === "dark" ? "◑ light (T)" : "◐ dark (T)";
  }
  setTheme(root.dataset.theme || "light");
  themeButton.addEventListener("click", () => setTheme(root.dataset.theme === "dark" ? "light" : "dark"));
  const tooltip = element("div", { class: "tooltip", role: "tooltip", hidden: "" });

  if (data.panels.length) {
    root.classList.add("stepper");  // laid out to fit the window: the figure takes what the rest leaves
    const switcher = element("div", { class: "bar switcher", role: "group", "aria-label": "cell type" });
    const controls = element("div", { class: "bar controls" });
    const play = element("button", { type: "button", class: "play", "aria-label": "play" }, "▶ play");
    const slider = element("input", { type: "range", min: "0", max: "1", value: "0", step: "1",
                                       "aria-label": "stage of the lecture" });
    const whole = element("button", { type: "button", class: "whole", "aria-pressed": "false",
                                       title: "the whole figure, however small its text (Z)" }, "⤢ whole (Z)");
    const stageRow = element("div", { class: "bar stage-row" });
    const stageText = element("span", { class: "stage", "aria-live": "polite" });
    controls.append(play, slider, whole, element("span", { class: "hint" }, "← → step · space plays"));
    const graph = element("div", { class: "figure" });
    const windowNote = element("span", { class: "window-note", style: "visibility: hidden" });
    // shown where the stage's details are folded to leave the figure its room (lecture_fit.js, placeDetails)
    const details = element("button", { type: "button", class: "details", "aria-expanded": "false" });
    stageRow.append(stageText, details, windowNote);
    const equation = element("section", { class: "equation", "aria-label": "the equation applied" });
    const sums = element("aside", { class: "sums" });
    const legend = gradientLegend();
    // ‖∂J/∂h_1‖ / ‖∂J/∂h_T‖ measures vanishing only where J is read at the last step: with a J_t
    // at every step, ∂J/∂h_1 holds J_1's own gradient (the equations' ‖∂h_T/∂h_t‖ is the measure there)
    const measured = data.panels.filter((panel) => !panel.loss_is.per_step);
    const ratios = element("div", { class: "ratios" });
    ratios.innerHTML = `${data.words.ratio}: ` + measured.map(  // the words are HTML written by Python, escaped there
      (panel) => `${escapeHtml(panel.name)} ${panel.ratio === null ? "—" : fmt(panel.ratio)}`).join(" · ");
    if (!measured.length) ratios.hidden = true;
    const footer = element("div", { class: "bar footer" });
    footer.append(legend, ratios);
    if (data.panels.length > 1) header.insertBefore(switcher, themeButton);
    header.insertBefore(controls, themeButton);
    root.append(stageRow, graph, equation, sums, footer);
    const fit = tinygradRnnFit(root, graph, windowNote);

    data.panels.forEach((panel, number) => {
      const button = element("button", { type: "button", "aria-pressed": String(number === 0) }, panel.name);
      button.addEventListener("click", () => { state.panel = number; show(); });
      switcher.appendChild(button);
      const holder = element("div", { class: "panel", id: panel.id });
      const rolled = element("div", { class: "view rolled" });
      rolled.innerHTML = panel.rolled_svg;
      const unrolled = element("div", { class: "view unrolled" });
      unrolled.innerHTML = panel.svg;
      holder.append(rolled, unrolled);
      if (panel.sums_svg) {  // the sums stage's: the unrolled figure with each row's Σ, numbered as it is
        const summed = element("div", { class: "view summed", hidden: "" });
        summed.innerHTML = panel.sums_svg;
        holder.append(summed);
      }
      graph.appendChild(holder);
      holder.querySelectorAll(".unrolled .node, .summed .node").forEach((node) => {
        const info = () => panel.nodes[Number(node.dataset.index)];
        if (!info()) return;  // (a Σ: what it adds is said on the bars beside the figure)
        node.addEventListener("mouseenter", () => inspect(info(), node));
        node.addEventListener("focus", () => inspect(info(), node));
        node.addEventListener("mouseleave", () => { tooltip.hidden = true; });
        node.addEventListener("blur", () => { tooltip.hidden = true; });
      });
    });

    function show() {
      const panel = data.panels[state.panel];
      graph.querySelectorAll(".panel").forEach((holder, number) => { holder.hidden = number !== state.panel; });
      switcher.querySelectorAll("button").forEach((button, number) => {
        button.setAttribute("aria-pressed", String(number === state.panel));
      });
      slider.max = String(panel.stages.length - 1);
      state.stage = Math.min(state.stage, panel.stages.length - 1);
      state.weight = Math.min(state.weight, panel.weights.length - 1);
      buildSums(panel);
      render();
    }

    // The colour scale of ‖∂J/∂h_t‖ (at least two decades: data.scale); where it is wider than the
    // page's values, where they lie on it, marked and said in words.
    function gradientLegend() {
      const norms = data.panels.flatMap((panel) => panel.hidden_norms).filter((v) => v > 0);
      const legend = element("div", { class: "legend" });
      const ramp = element("span", { class: "ramp" });
      const named = element("span");
      named.innerHTML = `${data.words.norm} (log scale)`;
      legend.append(named, element("span", {}, fmt(scale[0])), ramp, element("span", {}, fmt(scale[1])));
      if (!norms.length) return legend;
      const [low, high] = [Math.min(...norms), Math.max(...norms)];
      if (low > scale[0] * 1.0001 || high < scale[1] / 1.0001) {  // widened: mark where the values lie
        const at = (v) => 100 * Math.log10(v / scale[0]) / Math.log10(scale[1] / scale[0]);
        const values = element("span", { class: "values", title: "where this page's values lie" });
        values.style.left = `${at(low)}%`;
        values.style.width = `${Math.max(at(high) - at(low), 1)}%`;
        ramp.appendChild(values);
        const digits = tinygradRnnDigits([low, high]);
        legend.append(element("span", { class: "widened" },
          `widened to two decades about the values, ${fmt(low, digits)} to ${fmt(high, digits)}`));
      }
      return legend;
    }

    // The bars of the chosen weight: one per step, ‖∂J/∂W|_(t)‖ on a labelled log axis.
    function buildSums(panel) {
      sums.innerHTML = "";
      const chooser = element("div", { class: "bar weights", role: "group", "aria-label": "shared weight" });
      panel.weights.forEach((weight, number) => {
        const button = element("button", { type: "button", "aria-pressed": String(number === state.weight),
                                           "data-weight": weight.name });
        button.innerHTML = weight.html;
        button.addEventListener("click", () => { state.weight = number; buildSums(panel); render(); });
        chooser.appendChild(button);
      });
      const weight = panel.weights[state.weight];
      if (!weight) return;
      const heading = element("h2");
      heading.innerHTML = weight.sum_html;
      sums.append(chooser, heading,
                  element("div", { class: "total", "data-role": "running" }),
                  element("div", { class: "total", "data-role": "grad-norm" }));
      const positive = weight.terms.filter((v) => v > 0);
      const low = Math.floor(Math.log10(Math.min(...positive, 1)));
      const high = Math.max(Math.ceil(Math.log10(Math.max(...positive, 1e-30))), low + 1);
      const chart = element("div", { class: "chart" });
      const axis = element("div", { class: "axis", "aria-hidden": "true" });
      for (let decade = high; decade >= low; decade -= Math.max(1, Math.ceil((high - low) / 4))) {
        const tick = element("span", { class: "tick" }, tinygradRnnPower(decade));
        tick.style.bottom = `${100 * (decade - low) / (high - low)}%`;
        axis.appendChild(tick);
      }
      const terms = element("div", { class: "terms" });
      const steps = element("div", { class: "steps-axis" });
      // two figures, as the text beside the bars writes them: on a log axis a third or fourth digit is
      // noise a class would read as a pattern (0.1140 against 0.1141); the bars' heights tell them apart
      weight.terms.forEach((value, index) => {
        const label = fmt(value);
        const term = element("div", { class: "term", "data-step": String(index + 1),
                                      title: `step ${index + 1}: ${label}` });
        const fill = element("div", { class: "fill" });
        fill.style.height = value > 0 ? `${Math.max(2, 100 * (Math.log10(value) - low) / (high - low))}%` : "0";
        const printed = element("span", { class: "value" }, label);
        printed.style.bottom = fill.style.height;  // on its own bar's top, in one row: read as that bar's
        term.append(printed, fill);
        terms.appendChild(term);
        steps.appendChild(element("span", {}, String(index + 1)));
      });
      chart.append(axis, terms);
      const hint = element("div", { class: "hint" });
      hint.innerHTML = weight.bars_html;
      sums.append(chart, steps, hint);
    }

    function render() {
      const panel = data.panels[state.panel];
      const stage = panel.stages[state.stage];
      data.panels.forEach((each) => paint(each, each.stages[Math.min(state.stage, each.stages.length - 1)]));
      root.dataset.phase = stage.phase;
      root.dataset.stage = String(state.stage);
      slider.value = String(state.stage);
      stageText.innerHTML = `${state.stage + 1} of ${panel.stages.length} · ${stage.text}`;  // HTML from Python
      equation.innerHTML = stage.math;
      renderSums(panel, stage);
      root.dataset.weight = String(state.weight);  // (the sums stage's window holds the chosen weight's Σ)
      fit(panel, stage, equation, root.dataset.whole === "true");
      const folded = root.dataset.folded === "true", rows = equation.querySelectorAll("mtr.detail").length;
      details.textContent = `${folded ? "▸" : "▾"} details (D)`;
      details.setAttribute("aria-expanded", String(!folded));
      details.title = folded ? `${rows} ${rows === 1 ? "line" : "lines"} folded, to keep the figure's text as large ` +
        "as the page's: D (or this button) shows them" : "D (or this button) folds them again";
    }
    function toggleDetails() {
      if (root.dataset.foldable !== "true") return;
      if (root.dataset.details === "open") delete root.dataset.details;
      else root.dataset.details = "open";
      render();
    }
    details.addEventListener("click", toggleDetails);

    // The bars of the terms in the sum so far, and the running sum beside ‖W.grad‖.
    function renderSums(panel, stage) {
      const weight = panel.weights[state.weight];
      if (!weight) return;
      const backward = stage.phase === "backward" || stage.phase === "sums";
      const reached = backward ? stage.t : panel.steps + 1;  // the earliest step whose term is in the sum
      const terms = sums.querySelectorAll(".term");
      terms.forEach((term) => {
        const t = Number(term.dataset.step);
        term.classList.toggle("shown", t >= reached);
        term.classList.toggle("current", t === reached);
      });
      // Every term in the sum keeps its value, so the running sum can be checked against the bars: values wider
      // than their bars (1.8·10⁻² over a 53 px bar at 1,280 × 720) are set smaller until each fits its own bar,
      // down to VALUE_SCALE_FLOOR of their size; only past that does the chart print the current one alone (and any
      // bar's on hover), the step under each bar saying which it is. (The bars not yet in the sum print nothing.)
      const chart = sums.querySelector(".terms");
      chart.classList.remove("crowded");
      chart.style.removeProperty("--value-scale");
      const inSum = [...terms].filter((term) => term.classList.contains("shown"));
      const overflow = () => Math.max(0, ...inSum.map((term) =>
        term.firstChild.getBoundingClientRect().width / term.clientWidth));
      const widest = overflow();
      if (widest > 1) {
        chart.style.setProperty("--value-scale", String(Math.max(VALUE_SCALE_FLOOR, 0.99 / widest)));
        chart.classList.toggle("crowded", overflow() > 1);
      }
      const count = panel.steps - Math.min(reached, panel.steps + 1) + 1;
      const running = count > 0 ? weight.running[reached - 1] : 0;
      sums.querySelector('[data-role="running"]').innerHTML =
        `‖running sum‖ = <b>${fmt(running)}</b> (${count} of ${panel.steps} terms)`;
      sums.querySelector('[data-role="grad-norm"]').innerHTML = count === panel.steps
        ? `${weight.grad_html} = <b>${fmt(weight.grad_norm)}</b>: the same` : "";  // (.grad: loss.backward()'s)
    }

    // Rolled: the loop. Unrolled: the cells slide out of the first. Forward: the cells computed so
    // far, cell t outlined. Backward: the cells reached, coloured by ‖∂J/∂h_t‖; the edge just crossed.
    // The sums: the chosen weight's Σ, lit with the arrows of its terms, one from every step. (The figure not shown,
    // of the unrolled one and the sums', whose nodes are numbered alike, is painted as at no step: nothing lit.)
    function paint(panel, stage) {
      const holder = graph.querySelector(`#${CSS.escape(panel.id)}`);
      holder.querySelectorAll(".view").forEach((each) => { each.hidden = !each.classList.contains(stage.view); });
      const unrolled = holder.querySelector(".view.unrolled");
      if (stage.view === "unrolled" && holder.dataset.shown === "rolled") unroll(panel, unrolled);
      holder.dataset.shown = stage.phase;
      holder.querySelectorAll(".view.unrolled, .view.summed").forEach((view) => paintView(panel, view.hidden ?
        { phase: "rolled", t: null } : stage, view));
      if (stage.view === "summed") chooseSum(panel, holder.querySelector(".view.summed"));
    }
    function paintView(panel, stage, view) {
      const reached = stage.phase === "backward" || stage.phase === "sums" ? stage.t : panel.steps + 1;
      for (const [step, indices] of Object.entries(panel.computed)) {  // not computed yet: every node of a later step
        for (const index of indices) {
          view.querySelector(`[data-index="${index}"]`)?.classList.toggle(
            "pending", stage.phase === "forward" && Number(step) > stage.t);
        }
      }
      for (const [step, indices] of Object.entries(panel.cells)) {
        const t = Number(step);
        for (const index of indices) {
          const node = view.querySelector(`[data-index="${index}"]`);
          const rect = node.querySelector("rect");
          if (!node.dataset.fill) node.dataset.fill = rect.getAttribute("fill");
          let fill = node.dataset.fill;
          delete node.dataset.reached;
          node.classList.toggle("current", stage.phase === "forward" && t === stage.t);
          if (stage.phase === "forward" && t <= stage.t) fill = FORWARD;
          if (t >= reached) {
            fill = colour(panel.hidden_norms[t - 1], scale[0], scale[1]);
            node.dataset.reached = fmt(panel.hidden_norms[t - 1]);
          }
          rect.setAttribute("fill", fill);
          node.querySelectorAll("text").forEach((text) => text.setAttribute("fill", dark(fill) ? "white" : "black"));
        }
      }
      view.querySelectorAll(".edge.crossed").forEach((edge) => {
        edge.classList.remove("crossed");
        tinygradRnnPointBack(edge, false);
        tinygradRnnCarries(edge, null);
      });
      if (reached <= panel.steps && stage.phase === "backward") {  // from the right, and from above where J_t is
        for (const k of panel.lit[String(reached)] || []) {
          const edge = view.querySelector(`#${CSS.escape(`${panel.id}-e${k}`)}`);
          if (!edge) continue;
          edge.classList.add("crossed");
          tinygradRnnPointBack(edge, true);
          tinygradRnnCarries(edge, panel.carried[String(k)] || null, panel.carried_rows[String(k)]);
        }
      }
    }

    // The chosen weight's Σ node (its line in bold) and the arrows into it, one from every step, lit; the
    // other rows' Σ and their arrows not drawn (the figure's boxes, which the window reads, measured again).
    function chooseSum(panel, view) {
      const weight = panel.weights[state.weight], chosen = weight ? String(weight.sum_node) : null;
      const svg = view.querySelector("svg");
      if (svg) [svg.nodeBoxes, svg.wholeBoxes] = [null, null];
      view.querySelectorAll(".node").forEach((node) => {
        if (Number(node.dataset.index) < panel.nodes.length) return;
        node.classList.toggle("chosen", node.dataset.index === chosen);
        node.classList.toggle("other-sum", node.dataset.index !== chosen);
        [...(node.querySelector("text")?.children || [])].forEach((line, k) => line.classList.toggle(
          "chosen", node.dataset.index === chosen && k === weight.sum_line));  // (a line each: Σₜ ∂J/∂W_hh|₍ₜ₎)
      });
      view.querySelectorAll("path.edge").forEach((edge) => {
        if (Number(edge.dataset.head) < panel.nodes.length) return;
        const term = edge.dataset.head === chosen;
        edge.classList.toggle("term-arrow", term);
        edge.classList.toggle("other-sum", !term);
        const label = edge.nextElementSibling;
        if (label && label.classList.contains("edge-label")) {
          label.classList.toggle("term-arrow", term);
          label.classList.toggle("other-sum", !term);
        }
      });
    }

    // Each copy of the cell starts where the first one is and slides to its own column.
    function unroll(panel, view) {
      const first = (panel.cells["1"] || [])[0];
      const origin = view.querySelector(`[data-index="${first}"]`);
      if (!origin || !origin.getBBox) return;
      if (window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches) return;
      const start = origin.getBBox().x;
      const moved = [];
      for (const indices of Object.values(panel.cells)) {
        for (const index of indices) {
          const node = view.querySelector(`[data-index="${index}"]`);
          node.style.transition = "none";
          node.style.transform = `translate(${start - node.getBBox().x}px, 0)`;
          moved.push(node);
        }
      }
      view.classList.add("unrolling");
      requestAnimationFrame(() => requestAnimationFrame(() => {
        for (const node of moved) { node.style.transition = ""; node.style.transform = ""; }
        view.classList.remove("unrolling");
      }));
    }

    function go(stage) {
      state.stage = Math.max(0, Math.min(Number.isFinite(stage) ? stage : 0, data.panels[state.panel].stages.length - 1));
      render();
      const hash = `#stage=${state.stage + 1}`;
      if (standalone && window.location.hash !== hash) history.replaceState(null, "", hash);
    }
    // The stage is in the URL, counted as the page counts it ("12 of 20" is #stage=12), so a link
    // opens it; only a page that is the whole document writes its URL (not one of a notebook's).
    const standalone = root.parentElement === document.body && document.querySelectorAll(".tgr-lecture").length === 1;
    function stageInUrl() {
      const found = /(?:^#|&)stage=([^&]*)/.exec(window.location.hash);
      return found ? Math.round(Number(found[1])) - 1 : null;
    }
    function wholeFigure(on) {
      root.dataset.whole = String(on);
      whole.setAttribute("aria-pressed", String(on));
      render();
    }
    whole.addEventListener("click", () => wholeFigure(root.dataset.whole !== "true"));
    window.addEventListener("resize", () => render());
    // Printed, the figure is whole (paper has no window to pan); on screen again, as it was.
    const printing = (on) => {
      if (on && root.dataset.printing === undefined) {
        root.dataset.printing = root.dataset.whole || "false";
        wholeFigure(true);
      } else if (!on && root.dataset.printing !== undefined) {
        const before = root.dataset.printing === "true";
        delete root.dataset.printing;
        wholeFigure(before);
      }
    };
    window.addEventListener("beforeprint", () => printing(true));
    window.addEventListener("afterprint", () => printing(false));
    window.matchMedia("print").addEventListener("change", (event) => printing(event.matches));
    function last() { return data.panels[state.panel].stages.length - 1; }
    function toggle() {
      if (state.timer) { clearInterval(state.timer); state.timer = null; play.textContent = "▶ play"; return; }
      if (state.stage >= last()) go(0);
      play.textContent = "❚❚ pause";
      state.timer = setInterval(() => { if (state.stage >= last()) toggle(); else go(state.stage + 1); }, 1100);
    }
    play.addEventListener("click", toggle);
    slider.addEventListener("input", () => go(Number(slider.value)));
    const keys = { ArrowRight: () => go(state.stage + 1), ArrowLeft: () => go(state.stage - 1),
                   Home: () => go(0), End: () => go(last()), " ": toggle };
    document.addEventListener("keydown", (event) => {
      // the page holding the focus; with none focused, the first page of the document (a notebook has several)
      const mine = root.contains(document.activeElement) ||
        document.activeElement === document.body && document.querySelector(".tgr-lecture") === root;
      if (!mine || event.target === slider && event.key !== " " && keys[event.key]) return;
      if (event.ctrlKey || event.metaKey || event.altKey) return;  // Ctrl+Z, Cmd+T: the browser's, not ours
      if (event.key === "t" || event.key === "T") { setTheme(root.dataset.theme === "dark" ? "light" : "dark"); return; }
      if (event.key === "z" || event.key === "Z") { wholeFigure(root.dataset.whole !== "true"); return; }
      if (event.key === "d" || event.key === "D") { toggleDetails(); return; }
      if (!keys[event.key]) return;
      event.preventDefault();
      keys[event.key]();
    });
    if (standalone) {
      window.addEventListener("hashchange", () => { if (stageInUrl() !== null) go(stageInUrl()); });
      if (stageInUrl() !== null) state.stage = Math.max(0, stageInUrl() || 0);  // clamped by show()
    }
    show();
    if (standalone && stageInUrl() !== null) go(state.stage);  // an out-of-range stage: the URL says where it is
    // the equation's size (and so the figure's box) can change once the page's fonts are in: fitted again
    if (document.fonts) document.fonts.ready.then(() => render());
  }

  if (data.text) {
    const text = data.text;
    const [low, high] = scale;
    const readout = element("div", { class: "bar stage", "aria-live": "polite" },
                            "Hover or focus a character: earlier characters are coloured by how strongly they move its prediction.");
    const view = element("div", { class: "text" });
    const spans = text.characters.map((character, position) => {
      const span = element("span", { tabindex: "0", "data-position": String(position) }, character);
      view.appendChild(span);
      return span;
    });
    const legend = element("div", { class: "legend" });
    const named = element("span");
    named.innerHTML = "‖∂ log p(x<sub>t</sub>) / ∂e<sub>s</sub>‖ (log scale)";
    legend.append(named, element("span", {}, fmt(low)), element("span", { class: "ramp" }), element("span", {}, fmt(high)));
    root.append(readout, view, legend);
    function select(position) {
      spans.forEach((span) => { span.style.background = ""; span.style.color = ""; span.classList.remove("target");
                                delete span.dataset.influence; });
      if (position < 1) { readout.textContent = "The first character has no earlier ones."; return; }
      const row = text.influence[position - 1];
      let strongest = 0;
      for (let s = 0; s < position; s++) {
        const fill = colour(row[s], low, high);
        spans[s].style.background = fill;
        spans[s].style.color = dark(fill) ? "white" : "black";
        spans[s].dataset.influence = fmt(row[s]);
        if (row[s] > row[strongest]) strongest = s;
      }
      spans[position].classList.add("target");
      readout.textContent = `Predicting ${JSON.stringify(text.characters[position])} (character ${position + 1}): ` +
        `strongest pull from ${JSON.stringify(text.characters[strongest])} (character ${strongest + 1}), ${fmt(row[strongest])}`;
    }
    spans.forEach((span, position) => {
      span.addEventListener("mouseenter", () => select(position));
      span.addEventListener("focus", () => select(position));
    });
  }
  root.appendChild(tooltip);

  // Every number in the tooltip says which quantity it is.
  function inspect(info, node) {
    tooltip.innerHTML = "";
    const name = element("div", { class: "name" });
    name.innerHTML = info.name;  // the name, the quantity and its gradient: HTML written by Python
    tooltip.append(name);
    const lines = [`op: ${escapeHtml(info.op)}`];
    if (info.scope) lines.push(`scope: ${escapeHtml(info.scope)}`);
    if (info.shape) lines.push(info.shape.length ? `shape of ${info.quantity}: (${info.shape.join(", ")})`
      : `${info.quantity}: a scalar`);  // (a shape "()" reads as nothing)
    if (info.values) {
      lines.push(info.values.values ? `values of ${info.quantity}: [${info.values.values.map((v, _, all) => fmt(v, tinygradRnnDigits(all))).join(", ")}]`
        : `${info.quantity}: min ${fmt(info.values.min)}, max ${fmt(info.values.max)}, mean ${fmt(info.values.mean)}`);
    }
    lines.push(`gradient ${info.gradient_of}: ${info.grad === null ? "—" : fmt(info.grad)}`);
    for (const line of lines) {
      const shown = element("div");
      shown.innerHTML = line;
      tooltip.append(shown);
    }
    const box = node.getBoundingClientRect();
    tooltip.hidden = false;
    const width = tooltip.getBoundingClientRect().width;
    tooltip.style.left = `${Math.max(8, Math.min(box.right + 8, window.innerWidth - width - 8))}px`;
    tooltip.style.top = `${Math.max(box.top, 8)}px`;
  }
}
