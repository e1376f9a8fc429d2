// Trace pages: print buttons, the handheld scanner on the search field, and the recall form's two ways
// of naming a lot (a lot the clinic has, or a product and a lot number).
import { attachWedgeScanner } from "./scanner.js";

for (const button of document.querySelectorAll("[data-print]")) {
  button.addEventListener("click", () => window.print());
}

const search = document.querySelector("input[data-scan]");
if (search) attachWedgeScanner(search);

const form = document.getElementById("recall-form");
if (form) {
  const lot = form.querySelector("#lot_id");
  const byNumber = [form.querySelector("#product_id"), form.querySelector("#lot")];
  const sync = () => {
    for (const input of byNumber) {
      if (input) input.disabled = Boolean(lot && lot.value);
    }
  };
  lot?.addEventListener("change", sync);
  sync();
}
