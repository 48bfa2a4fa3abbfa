// The secretary console and the office's preparation screens: session, routing by the
// URL hash (#/, #/new, #/meetings/<id>/<tab>), the top bar.

import { ApiError, currentSession, del, get, logout } from "../shared/api.js";
import { ChangeFeed } from "../shared/changes.js";
import { clearBanner, showError, showNotice } from "../shared/banner.js";
import { confirmAction } from "../shared/dialog.js";
import { fill, h } from "../shared/dom.js";
import { initI18n, otherLanguage, setLanguage, t } from "../shared/i18n.js";
import { needsHttpsWarning, renderAdminPage } from "./admin.js";
import { renderCommentTable } from "./comments.js";
import { renderDraftsPage } from "./drafts.js";
import { renderLogin } from "./login.js";
import { renderMeetingPage } from "./meeting.js";
import { renderCreateMeeting, renderMeetingList } from "./meetings.js";
import { renderNoticeEditor, renderNoticeList, renderSignatureRequests } from "./notices.js";
import { renderConsultation, renderOpinionList } from "./opinions.js";
import { renderMyInvitation } from "./invitations.js";
import { renderPasswordPage } from "./account.js";
import { initNotifications } from "./notifications.js";
import { renderRunPage } from "./run.js";
import { renderTaskDetail, renderTasksPage } from "./tasks.js";
import { renderStatisticsPage } from "./statistics.js";
import { watchServerHealth } from "./health.js";

const main = document.getElementById("main");
const userName = document.getElementById("user-name");
const signOut = document.getElementById("sign-out");
const navNotices = document.getElementById("nav-notices");
const navSigning = document.getElementById("nav-signing");
const navTasks = document.getElementById("nav-tasks");
const navOpinions = document.getElementById("nav-opinions");
const navAdmin = document.getElementById("nav-admin");
const navStatistics = document.getElementById("nav-statistics");
const navDrafts = document.getElementById("nav-drafts");
const userMenu = document.getElementById("user-menu");
const signOutEverywhere = document.getElementById("sign-out-everywhere");
const changePassword = document.getElementById("change-password");
const languageSwitch = document.getElementById("language-switch");
let bell = null;
const health = watchServerHealth(document.getElementById("bus-warning"));

let renderCount = 0;
/** Counts route() calls (screens that redraw themselves take render tokens too). */
let routeCount = 0;
/** Closes what the current screen holds open (the run screen's live connection). */
let leaveScreen = () => {};

const ctx = {
  session: null,
  /** The change signals of comment tables and tasks (one socket per tab). */
  changes: new ChangeFeed(),
  get isOffice() {
    return ["admin", "office"].includes(this.session?.user?.role);
  },
  navigate(hash) {
    if (window.location.hash === hash) route();
    else window.location.hash = hash;
  },
  /** A token for one rendering; mount() ignores a rendering that a newer one replaced. */
  begin() {
    renderCount += 1;
    return renderCount;
  },
  mount(token, ...nodes) {
    if (token !== renderCount) return false;
    fill(main, ...nodes);
    return true;
  },
  /** Runs `action`; an API error goes to the banner, a lost session back to sign-in. */
  async run(action) {
    try {
      return await action();
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) {
        this.signedOut();
        showError(err);
        return undefined;
      }
      showError(err);
      return undefined;
    }
  },
  signedIn(session) {
    this.session = session;
    this.changes.start();
    clearBanner();
    updateTopbar();
    route();
  },
  signedOut() {
    this.changes.stop();
    leaveScreen();
    leaveScreen = () => {};
    this.session = null;
    updateTopbar();
    renderLogin(ctx, ctx.begin());
  },
};

function updateTopbar() {
  const user = ctx.session?.user;
  userMenu.hidden = !user;
  userMenu.open = false;
  navNotices.hidden = !ctx.isOffice;
  updateSigningNav(user);
  // Follow-up: the office, and unit staff (their unit's tasks).
  navTasks.hidden = !(ctx.isOffice || user?.unit_id);
  navOpinions.hidden = !user;
  navAdmin.hidden = !ctx.isOffice;
  navStatistics.hidden = !ctx.isOffice;
  // Unit staff (a unit, no office role) send their unit's drafts.
  navDrafts.hidden = !(user?.unit_id && !ctx.isOffice);
  signOut.hidden = !user;
  if (bell && user) bell.start();
  else if (bell) bell.stop();
  if (user) health.start();
  else health.stop();
  if (user) {
    fill(
      userName,
      h("span", { class: "topbar-user-name" }, user.full_name),
      h("span", { class: "topbar-user-role" }, t(`user_role.${user.role}`)),
    );
  } else {
    userName.replaceChildren();
  }
}

/** "Thông báo chờ ký" with its count, shown to whoever has notices waiting for their signature. */
async function updateSigningNav(user) {
  if (!user) {
    navSigning.hidden = true;
    return;
  }
  try {
    const { notices } = await get("/api/notices/signature-requests");
    navSigning.hidden = notices.length === 0;
    fill(navSigning, t("signing.title"), notices.length ? h("span", { class: "nav-count", "data-testid": "signing-count" }, String(notices.length)) : null);
  } catch {
    navSigning.hidden = true; // the list is a convenience: the page itself reports errors
  }
}

function parseRoute() {
  const [path, search = ""] = window.location.hash.replace(/^#\/?/, "").split("?");
  const parts = path.split("/").filter(Boolean);
  if (parts[0] === "new") return { view: "create" };
  if (parts[0] === "admin") return { view: "admin" };
  if (parts[0] === "password") return { view: "password" };
  if (parts[0] === "statistics") return { view: "statistics", query: new URLSearchParams(search) };
  if (parts[0] === "drafts") return { view: "drafts" };
  if (parts[0] === "tasks" && /^\d+$/.test(parts[1] ?? "")) return { view: "task", id: Number(parts[1]) };
  if (parts[0] === "tasks") return { view: "tasks", query: new URLSearchParams(search) };
  if (parts[0] === "opinions" && /^\d+$/.test(parts[1] ?? "")) return { view: "consultation", id: Number(parts[1]) };
  if (parts[0] === "opinions") return { view: "opinions" };
  if (parts[0] === "documents" && /^\d+$/.test(parts[1] ?? "") && parts[2] === "comments") {
    return { view: "comments", id: Number(parts[1]) };
  }
  if (parts[0] === "invitation" && /^\d+$/.test(parts[1] ?? "")) return { view: "invitation", id: Number(parts[1]) };
  if (parts[0] === "signing") return { view: "signing" };
  if (parts[0] === "notices" && /^\d+$/.test(parts[1] ?? "")) return { view: "notice", id: Number(parts[1]) };
  if (parts[0] === "notices") return { view: "notices", query: new URLSearchParams(search) };
  if (parts[0] === "meetings" && /^\d+$/.test(parts[1] ?? "") && parts[2] === "run") {
    return { view: "run", id: Number(parts[1]) };
  }
  if (parts[0] === "meetings" && /^\d+$/.test(parts[1] ?? "")) {
    return { view: "meeting", id: Number(parts[1]), tab: parts[2] ?? null };
  }
  return { view: "list" };
}

async function route() {
  leaveScreen();
  leaveScreen = () => {};
  if (!ctx.session) {
    renderLogin(ctx, ctx.begin());
    return;
  }
  const token = ctx.begin();
  updateSigningNav(ctx.session.user); // a notice signed or returned leaves the list
  routeCount += 1;
  const routed = routeCount;
  // A screen that keeps itself up to date (change signals) redraws with tokens of its own:
  // what it holds open is kept while this route is the current one, else closed at once.
  const keep = (leave) => {
    if (routed === routeCount) leaveScreen = leave;
    else leave();
  };
  const where = parseRoute();
  await ctx.run(async () => {
    if (where.view === "run") leaveScreen = renderRunPage(ctx, token, where.id);
    else if (where.view === "create") await renderCreateMeeting(ctx, token);
    else if (where.view === "admin") await renderAdminPage(ctx, token);
    else if (where.view === "password") renderPasswordPage(ctx, token);
    else if (where.view === "statistics") await renderStatisticsPage(ctx, token, where.query);
    else if (where.view === "drafts") await renderDraftsPage(ctx, token);
    else if (where.view === "tasks") keep(await renderTasksPage(ctx, token, where.query));
    else if (where.view === "task") keep(await renderTaskDetail(ctx, token, where.id));
    else if (where.view === "opinions") await renderOpinionList(ctx, token);
    else if (where.view === "consultation") await renderConsultation(ctx, token, where.id);
    else if (where.view === "comments") keep(await renderCommentTable(ctx, token, where.id));
    else if (where.view === "notices") await renderNoticeList(ctx, token, where.query);
    else if (where.view === "notice") await renderNoticeEditor(ctx, token, where.id);
    else if (where.view === "signing") await renderSignatureRequests(ctx, token);
    else if (where.view === "invitation") await renderMyInvitation(ctx, token, where.id);
    else if (where.view === "meeting") {
      const leave = await renderMeetingPage(ctx, token, where.id, where.tab);
      if (token === renderCount) leaveScreen = leave;
    }
    else await renderMeetingList(ctx, token);
  });
}

async function boot() {
  bell = initNotifications(ctx, document.getElementById("notifications-menu"));
  languageSwitch.addEventListener("click", async () => {
    await initI18n();
    await setLanguage(otherLanguage());
  });
  await initI18n();
  window.addEventListener("phonghop:language", () => {
    updateTopbar();
    if (ctx.session) route();
    else renderLogin(ctx, ctx.begin());
  });
  document.getElementById("https-warning").hidden = !needsHttpsWarning(window.location);
  changePassword.addEventListener("click", () => {
    userMenu.open = false;
  });
  signOutEverywhere.addEventListener("click", async () => {
    userMenu.open = false;
    const ok = await confirmAction({
      title: t("sign_out_everywhere.title"),
      message: t("sign_out_everywhere.message"),
      confirmLabel: t("action.sign_out_everywhere"),
      danger: true,
    });
    if (!ok) return;
    const done = await ctx.run(() => del("/api/sessions"));
    if (!done) return;
    await ctx.run(() => currentSession()); // forget the CSRF token of the ended session
    ctx.signedOut();
    showNotice(t("sign_out_everywhere.done", { count: done.ended }));
  });
  signOut.addEventListener("click", async () => {
    await ctx.run(() => logout());
    window.location.hash = "#/";
    ctx.signedOut();
  });
  window.addEventListener("hashchange", () => {
    clearBanner();
    route();
  });
  const session = await ctx.run(() => currentSession());
  // A tablet's session (kind "tablet") does not open the console: sign in instead.
  if (session && session.kind === "user") ctx.signedIn(session);
  else ctx.signedOut();
}

boot().catch((err) => {
  showError(err);
});
