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

// A multi-select becomes chips of what is chosen, a search field and a list of checkboxes
// (Ctrl-click is not for everyone). The select stays the form's field, kept in step; without
// JavaScript it works as it is.
document.querySelectorAll("select[multiple][data-choices]").forEach((select) => {
  const label = document.querySelector(`label[for="${select.id}"]`);
  const box = document.createElement("div");
  box.className = "choice-box";
  const chips = document.createElement("p");
  chips.className = "chips";
  chips.setAttribute("aria-live", "polite");
  const search = document.createElement("input");
  search.type = "search";
  search.id = `${select.id}-search`;
  search.placeholder = `${select.dataset.choices}…`;
  search.autocomplete = "off";
  const list = document.createElement("ul");
  list.className = "choices";
  const boxes = [...select.options].map((option, n) => {
    const item = document.createElement("li");
    const check = document.createElement("input");
    check.type = "checkbox";
    check.id = `${select.id}-choice-${n}`;
    check.checked = option.selected;
    const name = document.createElement("label");
    name.htmlFor = check.id;
    name.textContent = option.text;
    check.addEventListener("change", () => { option.selected = check.checked; drawChips(); });
    item.append(check, name);
    list.append(item);
    return { option, check, item };
  });
  function drawChips() {
    chips.replaceChildren();
    const chosen = boxes.filter((b) => b.option.selected);
    chosen.forEach((b) => {
      const chip = document.createElement("button");
      chip.type = "button";
      chip.className = "chip";
      chip.textContent = `${b.option.text} ×`;
      chip.setAttribute("aria-label", `${select.dataset.remove}: ${b.option.text}`);
      chip.addEventListener("click", () => {
        b.option.selected = false;
        b.check.checked = false;
        drawChips();
        search.focus();
      });
      chips.append(chip);
    });
    const count = document.createElement("span");
    count.className = "chosen-count";
    count.textContent = `${chosen.length} ${select.dataset.chosen}`;
    chips.append(count);
  }
  search.addEventListener("input", () => {
    const wanted = search.value.trim().toLowerCase();
    boxes.forEach((b) => { b.item.hidden = !b.option.text.toLowerCase().includes(wanted); });
  });
  if (label) label.htmlFor = search.id;
  box.append(chips, search, list);
  select.hidden = true;
  select.after(box);
  drawChips();
});
