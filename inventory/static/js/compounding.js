// Compounding pages: the scanner types into the scan fields; a confirmed preparation is sent once.
import { attachWedgeScanner } from "./scanner.js";

for (const input of document.querySelectorAll("input[data-scan], .scan-field input")) {
  attachWedgeScanner(/** @type {HTMLInputElement} */ (input));
}

// Drawing is all or nothing on the server; still, a double click should not prepare two batches.
for (const form of document.querySelectorAll("form[data-prepare-form]")) {
  form.addEventListener("submit", (event) => {
    const submitter = /** @type {SubmitEvent} */ (event).submitter;
    if (submitter && submitter.matches("[data-confirm]")) {
      if (form.dataset.sent) {
        event.preventDefault();
        return;
      }
      form.dataset.sent = "1";
    }
  });
}
