// The lecture page's behaviour. Every number it shows was computed by tinygrad_rnn and embedded
// as JSON beside this script; nothing is computed here but colours and positions.
// Keys: ← → step back and forth, Home / End, space plays; hover or focus a node to inspect it.
function tinygradRnnLecture(root) {
  if (root.dataset.ready) return;
  root.dataset.ready = "1";
  const data = JSON.parse(root.querySelector("script.tgr-data").textContent);
  const VIRIDIS = ["#440154", "#472d7b", "#3b528b", "#2c728e", "#21918c", "#28ae80", "#5ec962", "#addc30", "#fde725"];
  const scale = data.scale;
  const state = { panel: 0, stage: 0, timer: null };

  // Log-scaled viridis (readable by colour-blind viewers and in grey), as in the static figures.
  function colour(value, low, high) {
    if (!(value > 0)) return "#bbbbbb";
    const span = Math.log10(high) - Math.log10(low);
    const position = span <= 0 ? 1 : (Math.log10(value) - Math.log10(low)) / span;
    return VIRIDIS[Math.round(Math.min(Math.max(position, 0), 1) * (VIRIDIS.length - 1))];
  }
  const dark = (fill) => VIRIDIS.indexOf(fill) >= 0 && VIRIDIS.indexOf(fill) < 5;
  const fmt = (value) => Number(value).toExponential(3);  // the printed precision the tests compare
  function element(tag, attributes, text) {
    const made = document.createElement(tag);
    for (const [key, value] of Object.entries(attributes || {})) made.setAttribute(key, value);
    if (text !== undefined) made.textContent = text;
    return made;
  }

  root.appendChild(element("h1", {}, data.title));
  const tooltip = element("div", { class: "tooltip", role: "tooltip", hidden: "" });

  if (data.panels.length) {
    const switcher = element("div", { class: "bar switcher", role: "group", "aria-label": "cell type" });
    const controls = element("div", { class: "bar controls" });
    const play = element("button", { type: "button", class: "play", "aria-label": "play" }, "▶ play");
    const slider = element("input", { type: "range", min: "0", max: "1", value: "0", step: "1",
                                       "aria-label": "backward stage" });
    const stageText = element("span", { class: "stage", "aria-live": "polite" });
    controls.append(play, slider, stageText, element("span", { class: "hint" }, "← → step · Home/End · space plays"));
    const main = element("div", { class: "main" });
    const graph = element("div", { class: "graph" });
    const sums = element("aside", { class: "sums" });
    main.append(graph, sums);
    const legend = element("div", { class: "legend" });
    legend.append(element("span", {}, "‖∂J/∂h_t‖ (log scale)"), element("span", {}, fmt(scale[0])),
                  element("span", { class: "ramp" }), element("span", {}, fmt(scale[1])));
    if (data.panels.length > 1) root.appendChild(switcher);
    root.append(controls, main, legend);

    data.panels.forEach((panel, number) => {
      const button = element("button", { type: "button", "aria-pressed": String(number === 0) }, panel.name);
      button.addEventListener("click", () => { state.panel = number; show(); });
      switcher.appendChild(button);
      const holder = element("div", { class: "panel", id: panel.id });
      holder.innerHTML = panel.svg;
      graph.appendChild(holder);
      holder.querySelectorAll(".node").forEach((node) => {
        const info = () => panel.nodes[Number(node.dataset.index)];
        node.addEventListener("mouseenter", (event) => inspect(info(), node, event));
        node.addEventListener("focus", (event) => inspect(info(), node, event));
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
      slider.max = String(panel.steps);
      state.stage = Math.min(state.stage, panel.steps);
      sums.innerHTML = "";
      sums.append(element("h2", {}, `∂J/∂${panel.weight} = Σ_t ∂J/∂${panel.weight}|_(t)`),
                  element("div", { class: "total", "data-role": "running" }),
                  element("div", { class: "total", "data-role": "grad-norm" }));
      const terms = element("div", { class: "terms" });
      const axis = element("div", { class: "steps-axis" });
      const biggest = Math.max(...panel.terms.filter((v) => v > 0), 1e-30);
      const smallest = Math.min(...panel.terms.filter((v) => v > 0), biggest);
      panel.terms.forEach((value, index) => {
        const term = element("div", { class: "term", "data-step": String(index + 1) });
        const fill = element("div", { class: "fill" });
        // Bar heights on a log scale from the smallest term to the largest: vanishing terms stay visible.
        const span = Math.log10(biggest) - Math.log10(smallest);
        const height = value > 0 ? (span > 0 ? 8 + 92 * (Math.log10(value) - Math.log10(smallest)) / span : 100) : 0;
        fill.style.height = `${height}%`;
        term.append(element("span", { class: "value" }, fmt(value)), fill);
        terms.appendChild(term);
        axis.appendChild(element("span", {}, String(index + 1)));
      });
      sums.append(terms, axis, element("div", { class: "hint" }, "one bar per step t: ‖∂J/∂W|_(t)‖, log scale"));
      render();
    }

    function render() {
      data.panels.forEach(paint);  // every panel, so that switching shows each at the same stage
      const panel = data.panels[state.panel];
      const steps = panel.steps;
      const reached = state.stage === 0 ? steps + 1 : steps - state.stage + 1;  // the earliest step reached
      slider.value = String(state.stage);
      sums.querySelectorAll(".term").forEach((term) => {
        term.classList.toggle("shown", Number(term.dataset.step) >= reached);
      });
      const running = state.stage === 0 ? 0 : panel.running[reached - 1];
      sums.querySelector('[data-role="running"]').innerHTML =
        `‖running sum‖ = <b>${fmt(running)}</b> (${state.stage} of ${steps} terms)`;
      sums.querySelector('[data-role="grad-norm"]').innerHTML = state.stage === steps
        ? `‖${panel.weight}.grad‖ = <b>${fmt(panel.grad_norm)}</b> after loss.backward(): the same` : "";
      stageText.textContent = state.stage === 0
        ? `stage 0 of ${steps}: the gradient starts at J`
        : `stage ${state.stage} of ${steps}: reached t=${reached}, ‖∂J/∂h_${reached}‖ = ${fmt(panel.hidden_norms[reached - 1])}`;
    }

    // Colour the cells the gradient has reached by ‖∂J/∂h_t‖; mark the edge it just crossed.
    function paint(panel) {
      const holder = graph.querySelector(`#${CSS.escape(panel.id)}`);
      const steps = panel.steps;
      const stage = Math.min(state.stage, steps);
      const reached = stage === 0 ? steps + 1 : steps - stage + 1;
      for (const [step, indices] of Object.entries(panel.cells)) {
        const t = Number(step);
        for (const index of indices) {
          const node = holder.querySelector(`[data-index="${index}"]`);
          const rect = node.querySelector("rect");
          if (!node.dataset.fill) node.dataset.fill = rect.getAttribute("fill");
          if (t >= reached) {
            const fill = colour(panel.hidden_norms[t - 1], scale[0], scale[1]);
            rect.setAttribute("fill", fill);
            node.querySelector("text").setAttribute("fill", dark(fill) ? "white" : "black");
            node.dataset.reached = fmt(panel.hidden_norms[t - 1]);
          } else {
            rect.setAttribute("fill", node.dataset.fill);
            node.querySelector("text").setAttribute("fill", "black");
            delete node.dataset.reached;
          }
        }
      }
      holder.querySelectorAll(".edge.crossed").forEach((edge) => edge.classList.remove("crossed"));
      if (stage > 0) {
        for (const k of panel.crossing[String(reached)] || []) {
          holder.querySelector(`#${CSS.escape(`${panel.id}-e${k}`)}`)?.classList.add("crossed");
        }
      }
    }

    function go(stage) {
      state.stage = Math.max(0, Math.min(stage, data.panels[state.panel].steps));
      render();
    }
    function toggle() {
      if (state.timer) { clearInterval(state.timer); state.timer = null; play.textContent = "▶ play"; return; }
      if (state.stage >= data.panels[state.panel].steps) go(0);
      play.textContent = "❚❚ pause";
      state.timer = setInterval(() => {
        if (state.stage >= data.panels[state.panel].steps) toggle(); else go(state.stage + 1);
      }, 800);
    }
    play.addEventListener("click", toggle);
    slider.addEventListener("input", () => go(Number(slider.value)));
    const keys = { ArrowRight: () => go(state.stage + 1), ArrowLeft: () => go(state.stage - 1),
                   Home: () => go(0), End: () => go(data.panels[state.panel].steps), " ": toggle };
    document.addEventListener("keydown", (event) => {
      const mine = document.activeElement === document.body || root.contains(document.activeElement);
      if (!mine || !keys[event.key] || event.target === slider && event.key !== " ") return;
      event.preventDefault();
      keys[event.key]();
    });
    show();
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
    legend.append(element("span", {}, "‖∂ log p(x_t) / ∂e_s‖ (log scale)"), element("span", {}, fmt(low)),
                  element("span", { class: "ramp" }), element("span", {}, fmt(high)));
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

  function inspect(info, node, event) {
    tooltip.innerHTML = "";
    tooltip.append(element("div", { class: "name" }, info.name));
    const lines = [`op: ${info.op}`];
    if (info.scope) lines.push(`scope: ${info.scope}`);
    if (info.shape) lines.push(`shape: (${info.shape.join(", ")})`);
    if (info.values) {
      lines.push(info.values.values ? `values: [${info.values.values.map(fmt).join(", ")}]`
                                    : `min ${fmt(info.values.min)}, max ${fmt(info.values.max)}, mean ${fmt(info.values.mean)}`);
    }
    lines.push(`gradient norm ‖∂J/∂·‖: ${info.grad === null ? "—" : fmt(info.grad)}`);
    if (node.dataset.reached) lines.push(`‖∂J/∂h_t‖ reached: ${node.dataset.reached}`);
    for (const line of lines) tooltip.append(element("div", {}, line));
    const box = node.getBoundingClientRect();
    tooltip.style.left = `${Math.min(box.right + 8, window.innerWidth - 300)}px`;
    tooltip.style.top = `${Math.max(box.top, 8)}px`;
    tooltip.hidden = false;
  }
}
