// Preselect the reader's own time zone; without JavaScript the form keeps its default (UTC).
(function () {
  var zone;
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (e) {
    return;
  }
  if (!zone) return;
  document.querySelectorAll("select[data-browser-timezone]").forEach(function (select) {
    // Only fill an untouched form: the preferences page shows the zone already saved.
    if (select.form && select.form.hasAttribute("data-keep-timezone")) return;
    for (var i = 0; i < select.options.length; i++) {
      if (select.options[i].value === zone) {
        select.value = zone;
        return;
      }
    }
  });
})();
