// Staff pages: confirmations and "select all" without inline handlers (the CSP forbids inline JS).
document.addEventListener("click", (event) => {
  const asker = event.target.closest("[data-confirm]");
  if (asker && !window.confirm(asker.dataset.confirm)) {
    event.preventDefault();
  }
  const back = event.target.closest("[data-back]");
  if (back && window.history.length > 1) {  // "返回上一页"; without a history the link goes home
    event.preventDefault();
    window.history.back();
  }
  const all = event.target.closest("[data-check-all]");
  if (all) {
    document.querySelectorAll(`input[name="${all.dataset.checkAll}"]`).forEach((box) => {
      box.checked = all.checked;
    });
  }
});

// The grouped menu: one group open at a time; a click elsewhere or Escape closes it.
document.addEventListener("click", (event) => {
  document.querySelectorAll(".navgroup[open]").forEach((group) => {
    if (!group.contains(event.target)) group.removeAttribute("open");
  });
});
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape") document.querySelectorAll(".navgroup[open]").forEach((g) => g.removeAttribute("open"));
});
