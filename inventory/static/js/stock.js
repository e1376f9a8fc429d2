/**
 * Stock pages: scan fields work with a handheld (keyboard wedge) scanner.
 * Every input marked `data-wedge` turns the scanner's group separator (Ctrl+] or Alt+029)
 * into GS and submits its form on Enter.
 */
import { attachWedgeScanner } from "./scanner.js";

for (const input of document.querySelectorAll("input[data-wedge]")) {
  attachWedgeScanner(/** @type {HTMLInputElement} */ (input));
}
