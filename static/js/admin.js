// Staff pages: confirmations and "select all" without inline handlers (the CSP forbids inline JS).
document.addEventListener("click", (event) => {
  const asker = event.target.closest("[data-confirm]");
  if (asker && !window.confirm(asker.dataset.confirm)) {
    event.preventDefault();
  }
  const all = event.target.closest("[data-check-all]");
  if (all) {
    document.querySelectorAll(`input[name="${all.dataset.checkAll}"]`).forEach((box) => {
      box.checked = all.checked;
    });
  }
});
