// The delegate's tablet: join with the code, then the meeting screen. The session is a
// cookie, so reloading the page stays in the meeting.

import { ApiError, currentSession, get, logout } from "../shared/api.js";
import { clearBanner, showError } from "../shared/banner.js";
import { confirmAction } from "../shared/dialog.js";
import { busy, fill, h } from "../shared/dom.js";
import { initI18n, otherLanguage, setLanguage, t } from "../shared/i18n.js";
import { cleanCode, renderCodeEntry, renderNamePicker } from "./join.js";
import { renderMeeting } from "./meeting.js";

const main = document.getElementById("main");
const userName = document.getElementById("user-name");
let session = null;
let detail = null;
let redraw = () => {};

function codeFromHash() {
  const match = /(?:^#|&)join=([^&]+)/.exec(window.location.hash);
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
      onBack: () => {
        forgetHash();
        showCodeEntry();
      },
    });
  redraw();
}

async function leave(button) {
  const ok = await confirmAction({
    title: t("tablet.leave_title"),
    message: t("tablet.leave_message"),
    confirmLabel: t("tablet.leave"),
  });
  if (!ok) return;
  try {
    await busy(button, () => logout());
  } catch (err) {
    showError(err);
    return;
  }
  session = null;
  detail = null;
  showCodeEntry();
}

function drawMeeting() {
  const content = h("div", { class: "tablet-meeting", id: "meeting" });
  const refresh = h("button", { type: "button", class: "btn", text: t("tablet.refresh") });
  const leaveButton = h("button", { type: "button", class: "btn btn-quiet", text: t("tablet.leave") });
  refresh.addEventListener("click", () => busy(refresh, loadMeeting));
  leaveButton.addEventListener("click", () => leave(leaveButton));
  fill(main, content, h("div", { class: "tablet-toolbar" }, refresh, leaveButton));
  renderMeeting(content, detail, { me: session.participant });
}

async function loadMeeting() {
  try {
    detail = await get(`/api/meetings/${session.meeting_id}`);
  } catch (err) {
    if (err instanceof ApiError && (err.status === 401 || err.status === 404)) {
      session = null;
      showCodeEntry();
    } else if (!detail) {
      const retry = h("button", { type: "button", class: "btn btn-primary", text: t("tablet.retry") });
      retry.addEventListener("click", () => busy(retry, loadMeeting));
      fill(main, h("div", { class: "join-screen" }, h("p", {}, t("tablet.load_failed")), retry));
    }
    showError(err);
    return;
  }
  clearBanner();
  redraw = drawMeeting;
  redraw();
}

async function showMeeting() {
  showUser();
  fill(main, h("p", { class: "loading" }, t("common.loading")));
  await loadMeeting();
}

async function boot() {
  document.getElementById("language-switch").addEventListener("click", async () => {
    await initI18n();
    await setLanguage(otherLanguage());
  });
  await initI18n();
  window.addEventListener("phonghop:language", () => redraw());
  try {
    session = await currentSession();
  } catch (err) {
    showError(err);
  }
  const code = codeFromHash();
  const inMeeting = session?.kind === "tablet";
  if (code) {
    let info;
    try {
      info = await get(`/api/join/${encodeURIComponent(code)}`);
    } catch (err) {
      if (inMeeting) {
        forgetHash();
        await showMeeting();
      } else {
        showCodeEntry(code);
      }
      showError(err);
      return;
    }
    if (inMeeting && session.meeting_id === info.meeting.id) {
      forgetHash();
      await showMeeting();
    } else {
      showNamePicker(code, info);
    }
    return;
  }
  if (inMeeting) await showMeeting();
  else showCodeEntry();
}

boot().catch((err) => showError(err));
