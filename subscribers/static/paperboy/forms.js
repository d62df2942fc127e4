// Small improvements to the subscribe and preferences forms; without JavaScript they work the same, less smoothly.
(function () {
  // Preselect the reader's own time zone on a fresh form (default UTC); never override a saved or chosen one.
  var zone;
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (e) {
    zone = "";
  }
  document.querySelectorAll("select[data-browser-timezone]").forEach(function (select) {
    if (!zone || (select.form && select.form.hasAttribute("data-keep-timezone"))) return;
    for (var i = 0; i < select.options.length; i++) {
      if (select.options[i].value === zone) {
        select.value = zone;
        return;
      }
    }
  });

  // The day only matters for weekly digests.
  document.querySelectorAll("form").forEach(function (form) {
    var weekday = form.querySelector("select[name=weekday]");
    var radios = form.querySelectorAll("input[name=frequency]");
    if (!weekday || !radios.length) return;
    function update() {
      var daily = form.querySelector("input[name=frequency]:checked");
      var isDaily = daily && daily.value === "daily";
      weekday.disabled = isDaily;
      weekday.closest(".field").classList.toggle("is-off", isDaily);
    }
    radios.forEach(function (radio) { radio.addEventListener("change", update); });
    form.addEventListener("submit", function () { weekday.disabled = false; });
    update();
  });
})();
