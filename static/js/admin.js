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
