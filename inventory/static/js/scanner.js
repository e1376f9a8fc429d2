/**
 * Scanning helpers for the app's pages (vanilla ES module, no build step).
 *
 *   import { attachWedgeScanner, startCameraScanner } from "/static/js/scanner.js";
 *
 * - attachWedgeScanner(input): handheld scanners that "type" into a focused field.
 * - startCameraScanner({...}): QR codes from the device camera, with the native
 *   BarcodeDetector when it reads QR codes, else the vendored polyfill (ZXing in wasm),
 *   whose wasm is served by us (nothing from a CDN: clinics are often offline).
 *   The page's CSP needs 'wasm-unsafe-eval' in script-src for the polyfill.
 */

/** GS1 group separator (FNC1 in element strings), ASCII 29. */
export const GS = "\u001d";

const POLYFILL_URL = "/static/vendor/barcode-detector/ponyfill.js";
const DEFAULT_WASM_URL = "/static/vendor/zxing-wasm/zxing_reader.wasm";
const DETECT_EVERY_MS = 150;
const PAUSE_AFTER_CODE_MS = 1500;
/** The same code is reported again only once it has been out of view this long. */
const FORGET_CODE_AFTER_MS = 3000;

/**
 * Insert text at the cursor of a text input, replacing any selection, and
 * fire an "input" event as typing would.
 * @param {HTMLInputElement} input
 * @param {string} text
 */
function insertAtCursor(input, text) {
  try {
    const start = input.selectionStart ?? input.value.length;
    const end = input.selectionEnd ?? start;
    input.setRangeText(text, start, end, "end");
  } catch {
    input.value += text; // input types without a selection API
  }
  input.dispatchEvent(new Event("input", { bubbles: true }));
}

/**
 * Make a text input work with a keyboard-wedge barcode scanner.
 *
 * Scanners send the GS1 group separator (GS, U+001D) as a key combination that
 * browsers do not turn into a character: Ctrl+] (keyboard emulation of ASCII 29),
 * or Alt held while typing 0 2 9 on the numeric keypad (Windows "Alt codes").
 * Both are caught here and GS is inserted at the cursor instead. A plain "~" is
 * left alone: the server accepts it as a substitute for GS.
 * Enter (the usual scanner suffix) submits the input's form, even a form
 * without a submit button.
 *
 * @param {HTMLInputElement} input a text-like input (type text or search)
 * @returns {() => void} detach: removes the listeners
 */
export function attachWedgeScanner(input) {
  /** Numpad digits typed while Alt is held; null when not collecting. */
  let altDigits = null;
  /** Until this time, a GS the browser inserts by itself (Windows Alt code) is dropped. */
  let ignoreNativeGSUntil = 0;

  /** @param {KeyboardEvent} e */
  function onKeyDown(e) {
    if (e.isComposing) return;

    // Ctrl+] without Alt (AltGr is Ctrl+Alt on Windows; AltGr+ü types "~" on a Turkish keyboard).
    const ctrlBracket =
      e.ctrlKey && !e.altKey && !e.metaKey &&
      (e.key === "]" || e.code === "BracketRight" || e.keyCode === 221);
    if (ctrlBracket || e.key === "GroupSeparator" || e.key === GS) {
      e.preventDefault();
      insertAtCursor(input, GS);
      return;
    }

    if (e.key === "Alt") {
      altDigits = "";
      return;
    }
    if (e.altKey && altDigits !== null) {
      const numpad = /^Numpad([0-9])$/.exec(e.code);
      if (numpad) {
        e.preventDefault();
        altDigits += numpad[1];
        return;
      }
      altDigits = null; // Alt with anything else: a shortcut, not an Alt code
    }

    if (e.key === "Enter" && input.form && typeof input.form.requestSubmit === "function") {
      e.preventDefault();
      input.form.requestSubmit();
    }
  }

  /** @param {KeyboardEvent} e */
  function onKeyUp(e) {
    if (e.key !== "Alt") return;
    const digits = altDigits;
    altDigits = null;
    if (digits === "029" || digits === "29") {
      e.preventDefault();
      insertAtCursor(input, GS);
      ignoreNativeGSUntil = Date.now() + 100;
    }
  }

  /** @param {InputEvent} e */
  function onBeforeInput(e) {
    if (e.data === GS && Date.now() < ignoreNativeGSUntil) e.preventDefault();
  }

  function onBlur() {
    altDigits = null;
  }

  input.addEventListener("keydown", onKeyDown);
  input.addEventListener("keyup", onKeyUp);
  input.addEventListener("beforeinput", onBeforeInput);
  input.addEventListener("blur", onBlur);
  return () => {
    input.removeEventListener("keydown", onKeyDown);
    input.removeEventListener("keyup", onKeyUp);
    input.removeEventListener("beforeinput", onBeforeInput);
    input.removeEventListener("blur", onBlur);
  };
}

/** @type {Map<string, Promise<unknown>>} */
const polyfillByWasmUrl = new Map();

/**
 * A QR code detector: the browser's own when it reads QR codes, else the
 * vendored polyfill with its wasm loaded from `wasmUrl`.
 * @param {string} wasmUrl
 * @returns {Promise<{detect(source: HTMLVideoElement): Promise<Array<{rawValue: string}>>}>}
 */
async function createQrDetector(wasmUrl) {
  const Native = window.BarcodeDetector;
  if (Native && typeof Native.getSupportedFormats === "function") {
    try {
      if ((await Native.getSupportedFormats()).includes("qr_code")) {
        return new Native({ formats: ["qr_code"] });
      }
    } catch {
      // fall through to the polyfill
    }
  }
  let ready = polyfillByWasmUrl.get(wasmUrl);
  if (!ready) {
    ready = import(POLYFILL_URL).then(async (polyfill) => {
      // Fetch and instantiate the wasm now, from our copy, so a failure shows at start.
      await polyfill.prepareZXingModule({
        overrides: {
          locateFile: (path, prefix) => (path.endsWith(".wasm") ? wasmUrl : prefix + path),
        },
        fireImmediately: true,
      });
      return polyfill;
    });
    polyfillByWasmUrl.set(wasmUrl, ready);
    ready.catch(() => polyfillByWasmUrl.delete(wasmUrl)); // let a later start try again
  }
  const { BarcodeDetector } = await ready;
  return new BarcodeDetector({ formats: ["qr_code"] });
}

/**
 * Why the camera could not start, from a getUserMedia error.
 * @param {unknown} err
 * @returns {"permission_denied" | "no_camera" | "other"}
 */
function cameraErrorReason(err) {
  const name = err && typeof err === "object" && "name" in err ? err.name : "";
  if (name === "NotAllowedError" || name === "SecurityError") return "permission_denied";
  if (name === "NotFoundError" || name === "OverconstrainedError") return "no_camera";
  return "other";
}

/**
 * @typedef {"insecure_context" | "no_camera_api" | "permission_denied" | "no_camera" | "other"} CameraErrorReason
 * "insecure_context": the page is not HTTPS or localhost (plain HTTP on a LAN): browsers hide the camera.
 * "no_camera_api": the browser has no getUserMedia.
 * "permission_denied": the user or a policy refused the camera.
 * "no_camera": no (rear) camera found.
 * "other": anything else; the second argument of onError says what.
 */

/**
 * Read QR codes from the rear camera into a <video> element.
 *
 * Each distinct code is reported once: after a code, detection pauses ~1.5 s, and the
 * same code is reported again only after it has been out of view for a few seconds.
 *
 * @param {object} options
 * @param {HTMLVideoElement} options.video where the camera picture is shown
 * @param {(rawValue: string) => void} options.onCode called with each code read
 * @param {(reason: CameraErrorReason, message?: string) => void} options.onError
 *   called once if the camera or the detector cannot start
 * @param {string} [options.wasmUrl] our copy of zxing_reader.wasm
 * @returns {() => void} stop: stops detecting and releases the camera (safe to call at any time)
 */
export function startCameraScanner({ video, onCode, onError, wasmUrl = DEFAULT_WASM_URL }) {
  /** @type {MediaStream | null} */
  let stream = null;
  let timer = 0;
  let stopped = false;
  let lastValue = "";
  let lastSeenAt = 0;

  function stop() {
    stopped = true;
    clearTimeout(timer);
    if (stream) stream.getTracks().forEach((track) => track.stop());
    stream = null;
    if (video.srcObject) video.srcObject = null;
  }

  /** @param {CameraErrorReason} reason @param {string} [message] */
  function fail(reason, message) {
    const wasStopped = stopped;
    stop();
    if (!wasStopped) onError(reason, message);
  }

  /** @param {{detect(source: HTMLVideoElement): Promise<Array<{rawValue: string}>>}} detector */
  async function tick(detector) {
    if (stopped) return;
    let delay = DETECT_EVERY_MS;
    if (video.readyState >= HTMLMediaElement.HAVE_CURRENT_DATA) {
      try {
        const codes = await detector.detect(video);
        const now = Date.now();
        const value = codes.length ? codes[0].rawValue : "";
        if (value && !stopped) {
          const isNew = value !== lastValue || now - lastSeenAt > FORGET_CODE_AFTER_MS;
          lastValue = value;
          lastSeenAt = now;
          if (isNew) {
            onCode(value);
            delay = PAUSE_AFTER_CODE_MS;
          }
        }
      } catch {
        // a frame that cannot be read (e.g. while the video resizes): try the next one
      }
    }
    if (!stopped) timer = setTimeout(() => tick(detector), delay);
  }

  async function start() {
    if (!window.isSecureContext) return fail("insecure_context");
    if (!navigator.mediaDevices || typeof navigator.mediaDevices.getUserMedia !== "function") {
      return fail("no_camera_api");
    }
    // Load the detector while the user answers the camera prompt.
    const detectorReady = createQrDetector(wasmUrl);
    detectorReady.catch(() => {}); // handled below; avoids an "unhandled rejection" meanwhile
    try {
      const media = await navigator.mediaDevices.getUserMedia({
        video: { facingMode: "environment" },
        audio: false,
      });
      if (stopped) {
        media.getTracks().forEach((track) => track.stop());
        return;
      }
      stream = media;
    } catch (err) {
      return fail(cameraErrorReason(err), err instanceof Error ? err.message : String(err));
    }
    let detector;
    try {
      video.muted = true;
      video.playsInline = true; // iOS: play inline, not full screen
      video.srcObject = stream;
      await video.play();
      detector = await detectorReady;
    } catch (err) {
      return fail("other", err instanceof Error ? err.message : String(err));
    }
    tick(detector);
  }

  start();
  return stop;
}
