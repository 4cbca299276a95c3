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
