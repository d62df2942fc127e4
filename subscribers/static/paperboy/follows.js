// The follow box's suggestions: names from the ingested papers with their paper counts, as the reader types.
(function () {
  const form = document.querySelector("form[data-suggest]");
  if (!form) return;
  const input = form.querySelector("input[name=name]");
  const kind = form.querySelector("select[name=kind]");
  const list = form.querySelector(".follow-suggestions");
  let timer = null;
  let asked = "";
  function show(names) {
    list.replaceChildren();
    for (const n of names) {
      const item = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.className = "suggestion";
      const label = n.kind === "author" ? "author" : "organisation";
      button.textContent = `${n.name} · ${label}, ${n.papers} paper${n.papers === 1 ? "" : "s"}`;
      button.addEventListener("click", () => {
        input.value = n.name;
        kind.value = n.kind;
        list.replaceChildren();
        input.focus();
      });
      item.append(button);
      list.append(item);
    }
  }
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const q = input.value.trim();
      if (q === asked) return;
      asked = q;
      if (q.length < 2) return show([]);
      try {
        const response = await fetch(`${form.dataset.suggest}?q=${encodeURIComponent(q)}`, { credentials: "same-origin" });
        if (response.ok && asked === q) show((await response.json()).names);
      } catch (e) {
        show([]);  // offline: the box still follows an exactly typed name
      }
    }, 150);
  });
})();
