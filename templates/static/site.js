// Copy buttons: <button data-copy="INPUT-ID"> copies that input's value and says so.
document.addEventListener("click", async (event) => {
  const button = event.target.closest("button[data-copy]");
  if (!button) return;
  const input = document.getElementById(button.dataset.copy);
  const status = document.querySelector("[role=status]");
  try {
    await navigator.clipboard.writeText(input.value);
  } catch {
    input.select();  // no clipboard permission: leave the link selected for Ctrl-C
    return;
  }
  if (status) status.textContent = status.dataset.copied;
});

// Print buttons: <button data-print> opens the browser's print dialog (CSP forbids inline JS).
document.addEventListener("click", (event) => {
  if (event.target.closest("button[data-print]")) window.print();
});

// The filters stay open on a wide screen; on a phone they fold away until asked for.
if (window.matchMedia("(min-width: 50rem)").matches) {
  document.querySelectorAll("details.filters-box").forEach((box) => { box.open = true; });
}

// The month grid by keyboard: arrow keys move a day or a week, Home/End to the week's ends.
document.addEventListener("keydown", (event) => {
  const cell = event.target.closest && event.target.closest("table.month-grid td[data-day]");
  if (!cell || event.target !== cell) return;
  const cells = [...cell.closest("table").querySelectorAll("td[data-day]")];
  const here = cells.indexOf(cell);
  const steps = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -7, ArrowDown: 7,
                  Home: -(here % 7), End: 6 - (here % 7) };
  if (!(event.key in steps)) return;
  const next = cells[here + steps[event.key]];
  if (!next) return;
  event.preventDefault();
  cells.forEach((other) => { other.tabIndex = -1; });  // one tab stop: the day last visited
  next.tabIndex = 0;
  next.focus();
});
