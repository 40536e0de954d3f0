// derive serve: the live preview of how an answer was read, and reading a file into the audit box.
// Served from this origin (the Content-Security-Policy allows no inline script). Text from the
// server is set as text; MathML is parsed as XML and kept only if it is MathML and nothing else.
"use strict";
(function () {
  const MATHML = "http://www.w3.org/1998/Math/MathML";

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function safeMath(markup) {
    const doc = new DOMParser().parseFromString(markup, "application/xml");
    const root = doc.documentElement;
    if (!root || root.namespaceURI !== MATHML || doc.getElementsByTagName("parsererror").length) return null;
    for (const node of [root, ...root.getElementsByTagName("*")]) {
      if (node.namespaceURI !== MATHML) return null;
      for (const attr of [...node.attributes]) {
        if (/^(on|href|src|style|xlink)/i.test(attr.name)) node.removeAttribute(attr.name);
      }
    }
    return document.importNode(root, true);
  }

  const form = document.getElementById("check-form");
  if (form) {
    const box = document.getElementById("answer");
    const syntax = document.getElementById("syntax");
    const out = document.getElementById("preview");
    let timer = null, sent = 0;

    const show = (cls, ...nodes) => { out.className = "preview " + cls; out.replaceChildren(...nodes); };

    async function update() {
      const text = box.value, mine = ++sent;
      if (!text.trim()) { show("", el("span", "muted", "How your answer was read appears here as you type.")); return; }
      try {
        const response = await fetch("/api/preview", {
          method: "POST", headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ answer: text, part: form.dataset.part, syntax: syntax.value }),
        });
        const data = await response.json();
        if (mine !== sent) return;   // a later keystroke has its own request
        if (!response.ok) { show("problem", el("span", "", data.error || "the preview is not available")); return; }
        if (data.status === "read") {
          const math = data.mathml && safeMath(data.mathml);
          show("read", el("span", "label", "Read as: "), math || el("code", "", data.latex));
        } else {
          show("problem", el("span", "label", "Not well formed yet: "), el("pre", "", data.message));
        }
      } catch (err) {
        if (mine === sent) show("problem", el("span", "", "the preview is not available (is the server running?)"));
      }
    }

    box.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(update, 300); });
    syntax.addEventListener("change", update);
    if (box.value.trim()) update();
  }

  const file = document.getElementById("file");
  if (file) {
    const problem = document.getElementById("file-problem");
    file.addEventListener("change", () => {
      const chosen = file.files[0];
      problem.hidden = true;
      if (!chosen) return;
      if (!/\.(md|markdown|tex|txt)$/i.test(chosen.name) || chosen.size > 512 * 1024) {
        problem.textContent = "choose a .md or .tex file of at most 512 KB";
        problem.hidden = false;
        return;
      }
      chosen.text().then((text) => { document.getElementById("text").value = text; });
    });
  }
})();
