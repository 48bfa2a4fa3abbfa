// The delegate's tablet: join with the code, then the live meeting screen. The session is
// a cookie, so reloading the page stays in the meeting; without network, the session and
// the meeting kept in sessionStorage and the service worker's cache let it start anyway.

import { ApiError, currentSession, get, joinMeeting } from "../shared/api.js";
import { showError } from "../shared/banner.js";
import { initI18n, otherLanguage, setLanguage } from "../shared/i18n.js";
import { cleanCode, renderCodeEntry, renderNamePicker, renderWaiting } from "./join.js";
import { PageStore } from "./pages.js";
import { TabletScreen } from "./screen.js";

const main = document.getElementById("main");
const userName = document.getElementById("user-name");
const SESSION_KEY = "phonghop.tablet.session";
let session = null;
let screen = null;
let redraw = () => {};

function codeFromHash() {
  const match = /(?:^#|&)join=([^&]+)/.exec(window.location.hash);
  return match ? cleanCode(decodeURIComponent(match[1])) : "";
}

function personalFromHash() {
  const match = /(?:^#|&)personal=([^&]+)/.exec(window.location.hash);
  return match ? cleanCode(decodeURIComponent(match[1])) : "";
}

function forgetHash() {
  if (window.location.hash) window.history.replaceState(null, "", window.location.pathname + window.location.search);
}

function showUser() {
  const me = session?.participant;
  userName.hidden = !me;
  userName.textContent = me ? me.full_name : "";
}

function showCodeEntry(code = "") {
  showUser();
  redraw = () => renderCodeEntry(main, { code, onInfo: showNamePicker });
  redraw();
}

function showNamePicker(code, info) {
  redraw = () =>
    renderNamePicker(main, {
      code,
      info,
      onJoined: (joined) => {
        session = joined;
        forgetHash();
        showMeeting();
      },
      onPending: (answer) => {
        redraw = () =>
          renderWaiting(main, {
            name: answer.full_name,
            deviceId: answer.device_id,
            onJoined: (joined) => {
              session = joined;
              keepSession(joined);
              forgetHash();
              showMeeting();
            },
            onRefused: (err) => {
              showCodeEntry(code);
              showError(err);
            },
          });
        redraw();
      },
      onBack: () => {
        forgetHash();
        showCodeEntry();
      },
    });
  redraw();
}

/** The tablet's session, kept for a reload without network (the cookie is HttpOnly). */
function keepSession(value) {
  try {
    if (value) window.sessionStorage.setItem(SESSION_KEY, JSON.stringify(value));
    else window.sessionStorage.removeItem(SESSION_KEY);
  } catch {
    // storage disabled: a reload without network shows the join screen
  }
}

function keptSession() {
  try {
    const value = JSON.parse(window.sessionStorage.getItem(SESSION_KEY) ?? "null");
    return value?.kind === "tablet" ? value : null;
  } catch {
    return null;
  }
}

function showMeeting() {
  showUser();
  keepSession({ kind: "tablet", meeting_id: session.meeting_id, participant: session.participant, name: session.name });
  screen?.destroy();
  screen = new TabletScreen(main, session, {
    // The session ended with the meeting: nothing to resume after a reload.
    onGone: () => keepSession(null),
    onEnd: (message) => {
      screen = null;
      session = null;
      keepSession(null);
      showCodeEntry();
      if (message) showError(message);
    },
  });
  // Another language: build the screen again (its connection asks for messages in it).
  redraw = showMeeting;
  screen.start();
}

function registerServiceWorker() {
  // Cache Storage and service workers need a secure context (HTTPS, or localhost).
  if (!("serviceWorker" in navigator) || !window.isSecureContext) return;
  navigator.serviceWorker.register("sw.js").catch((err) => console.info("service worker not registered", err));
}

async function boot() {
  document.getElementById("language-switch").addEventListener("click", async () => {
    await initI18n();
    await setLanguage(otherLanguage());
  });
  await initI18n();
  window.addEventListener("phonghop:language", () => redraw());
  registerServiceWorker();
  try {
    session = await currentSession();
    // The server holds no session for this tablet (it ended while the tablet was away: the
    // meeting closed, the office revoked it): no page kept from it stays on the device.
    if (!session) await new PageStore().clear();
  } catch (err) {
    // No answer from the server (offline): carry on with the session kept from before.
    session = err instanceof ApiError && err.status === 0 ? keptSession() : null;
    if (!session) showError(err);
  }
  if (!session) keepSession(null);
  const code = codeFromHash();
  const inMeeting = session?.kind === "tablet";
  if (code) {
    let info;
    try {
      info = await get(`/api/join/${encodeURIComponent(code)}`);
    } catch (err) {
      if (inMeeting) {
        forgetHash();
        showMeeting();
      } else {
        showCodeEntry(code);
      }
      showError(err);
      return;
    }
    const personal = personalFromHash();
    if (inMeeting && session.meeting_id === info.meeting.id) {
      forgetHash();
      showMeeting();
    } else if (personal) {
      // the QR code on the invitation: the join code and the personal code, no typing
      try {
        session = await joinMeeting(code, null, { personal_code: personal });
        keepSession(session);
        forgetHash();
        showMeeting();
      } catch (err) {
        showNamePicker(code, info);
        showError(err);
      }
    } else {
      showNamePicker(code, info);
    }
    return;
  }
  if (inMeeting) showMeeting();
  else showCodeEntry();
}

boot().catch((err) => showError(err));
