/**
 * The scan page at the treatment chair (and the summary's print button).
 *
 * Without this script the page still works: the scan form posts and the server answers with the
 * whole page. With it, the form is sent with fetch (same-origin, its CSRF token in the form data),
 * the verdict fragment the server renders is shown full screen, a tone plays (WebAudio, no file)
 * and the phone vibrates where it can. The camera reads QR codes through scanner.js.
 */
import { attachWedgeScanner, startCameraScanner } from "./scanner.js";

const WASM_URL = "/static/vendor/zxing-wasm/zxing_reader.wasm";

/** @type {AudioContext | null} */
let audio = null;

/** Create or wake the audio context; browsers allow it only during a user gesture. */
function wakeAudio() {
  try {
    const Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return;
    audio = audio || new Context();
    if (audio.state === "suspended") audio.resume();
  } catch {
    audio = null;
  }
}

/**
 * @param {Array<[number, number]>} notes frequency (Hz) and duration (s), played one after another
 */
function play(notes, type = "sine") {
  if (!audio) return;
  let at = audio.currentTime + 0.02;
  for (const [frequency, duration] of notes) {
    const oscillator = audio.createOscillator();
    const gain = audio.createGain();
    oscillator.type = type;
    oscillator.frequency.value = frequency;
    gain.gain.setValueAtTime(0.0001, at);
    gain.gain.exponentialRampToValueAtTime(0.4, at + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, at + duration);
    oscillator.connect(gain).connect(audio.destination);
    oscillator.start(at);
    oscillator.stop(at + duration + 0.02);
    at += duration + 0.05;
  }
}

/** @param {string} verdict "ok", "blocked" or "error" */
function signal(verdict) {
  if (verdict === "ok") {
    play([[880, 0.12], [1320, 0.18]]);
    if (navigator.vibrate) navigator.vibrate(120);
  } else {
    play([[220, 0.35], [180, 0.35], [220, 0.35]], "square");
    if (navigator.vibrate) navigator.vibrate([300, 100, 300, 100, 300]);
  }
}

function setUpScanPage() {
  const form = /** @type {HTMLFormElement | null} */ (document.getElementById("scan-form"));
  const input = /** @type {HTMLInputElement | null} */ (document.getElementById("scan-code"));
  const slot = document.getElementById("verdict-slot");
  const log = document.getElementById("session-log");
  if (!form || !input || !slot) return;

  attachWedgeScanner(input);
  let busy = false;
  /** The "Given" confirmation on its way: the next scan is sent after it (the server takes no scan
   * while the previous one is neither given nor voided). */
  let confirming = Promise.resolve();

  const showing = () => slot.querySelector("[data-verdict]") !== null;

  function focusField() {
    input.value = "";
    input.focus();
  }

  /** Nothing carries over (SAFE-14): site and partial volume belong to one scan only. */
  function resetPerScanFields() {
    form.querySelectorAll('input[name="site"], input[name="volume"]').forEach((field) => {
      if (field instanceof HTMLInputElement) field.value = "";
    });
    const options = form.querySelector("details.scan-options");
    if (options instanceof HTMLDetailsElement) options.open = false;
  }

  async function refreshLog() {
    if (!log || !log.dataset.src) return;
    try {
      const response = await fetch(log.dataset.src, { headers: { "X-Requested-With": "fetch" } });
      if (response.ok) log.innerHTML = await response.text();
    } catch {
      // the log is refreshed again after the next scan
    }
  }

  /** Back to the scan field at once (a handheld scan may follow immediately). */
  function dismiss({ refresh = true } = {}) {
    slot.innerHTML = "";
    focusField();
    if (refresh) refreshLog();
  }

  /** Show the server's verdict fragment (rendered and escaped by the server's templates). */
  function show(html) {
    slot.innerHTML = html;
    const verdict = slot.querySelector("[data-verdict]");
    if (!verdict) {
      window.location.reload(); // not a verdict (an expired form, a server error page): start afresh
      return;
    }
    signal(verdict.getAttribute("data-verdict") || "error");
    // Focus the verdict itself, never its button: a handheld scanner's next Enter must not confirm
    // the patient's identity or dismiss a red screen on the practitioner's behalf.
    if (verdict instanceof HTMLElement) verdict.focus();
  }

  async function submit() {
    if (busy || showing() || !input.value.trim()) return;
    busy = true;
    const body = new FormData(form);
    input.value = "";
    resetPerScanFields();
    await confirming;
    try {
      const response = await fetch(form.action, {
        method: "POST",
        body,
        headers: { "X-Requested-With": "fetch" },
        credentials: "same-origin",
      });
      if (response.redirected) {
        window.location.assign(response.url); // signed out meanwhile: the login page
        return;
      }
      show(await response.text());
    } catch {
      form.submit(); // the network failed under fetch: let the browser post the form itself
    } finally {
      busy = false;
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    wakeAudio();
    submit();
  });

  slot.addEventListener("click", (event) => {
    const target = event.target instanceof Element ? event.target.closest("[data-dismiss]") : null;
    if (!target) return;
    event.preventDefault();
    dismiss();
  });

  slot.addEventListener("submit", async (event) => {
    const confirm = event.target instanceof HTMLFormElement && event.target.matches("[data-confirm]");
    if (!confirm) return;
    event.preventDefault();
    const confirmForm = /** @type {HTMLFormElement} */ (event.target);
    const body = new FormData(confirmForm);
    dismiss({ refresh: false });
    confirming = fetch(confirmForm.action, {
      method: "POST",
      body,
      headers: { "X-Requested-With": "fetch" },
      credentials: "same-origin",
    }).then(() => undefined, () => undefined); // on failure the log says "waiting: given or not given?"
    await confirming;
    refreshLog();
  });

  // "Not given": the reason is the button tapped; the void is appended, the syringe goes back (or away).
  slot.addEventListener("submit", async (event) => {
    const voidForm = event.target instanceof HTMLFormElement && event.target.matches("[data-void]")
      ? event.target : null;
    if (!voidForm) return;
    event.preventDefault();
    const submitter = /** @type {SubmitEvent} */ (event).submitter;
    const body = new FormData(voidForm, submitter instanceof HTMLButtonElement ? submitter : undefined);
    try {
      const response = await fetch(voidForm.action, {
        method: "POST",
        body,
        headers: { "X-Requested-With": "fetch" },
        credentials: "same-origin",
      });
      if (response.status === 204) {
        dismiss();
        return;
      }
      show(await response.text());
    } catch {
      voidForm.submit();
    }
  });

  setUpCamera(input, submit, showing);
  focusField();
}

/**
 * @param {HTMLInputElement} input
 * @param {() => void} submit
 * @param {() => boolean} showing whether a verdict is on screen (camera codes wait until it is closed)
 */
function setUpCamera(input, submit, showing) {
  const start = document.getElementById("camera-start");
  const stopButton = document.getElementById("camera-stop");
  const box = document.getElementById("camera");
  const video = /** @type {HTMLVideoElement | null} */ (document.getElementById("camera-video"));
  const errors = document.getElementById("camera-errors");
  if (!start || !box || !video || !errors) return;
  start.hidden = false;
  /** @type {(() => void) | null} */
  let stop = null;

  function hideErrors() {
    errors.querySelectorAll("[data-camera-error]").forEach((el) => { el.hidden = true; });
  }

  function stopCamera() {
    if (stop) stop();
    stop = null;
    box.hidden = true;
    start.hidden = false;
  }

  start.addEventListener("click", () => {
    wakeAudio();
    hideErrors();
    box.hidden = false;
    start.hidden = true;
    stop = startCameraScanner({
      video,
      wasmUrl: WASM_URL,
      onCode: (code) => {
        if (showing()) return; // never replace a verdict the practitioner has not acknowledged
        input.value = code;
        submit();
      },
      onError: (reason) => {
        stopCamera();
        const message = errors.querySelector(`[data-camera-error="${reason}"]`)
          || errors.querySelector('[data-camera-error="other"]');
        if (message instanceof HTMLElement) message.hidden = false;
        input.focus();
      },
    });
  });
  if (stopButton) stopButton.addEventListener("click", () => { stopCamera(); input.focus(); });
}

function setUpPrint() {
  document.querySelectorAll("[data-print]").forEach((button) => {
    button.addEventListener("click", () => window.print());
  });
}

setUpScanPage();
setUpPrint();
