// Quản trị: the body's user accounts, the notice settings of the issuing body, and the
// certificate tablets need for HTTPS (offline use). Also the "plain HTTP on the LAN"
// warning the console shows on every screen.

import { ApiError, apiUrl, csrfToken, del, get, patch, post, put } from "../shared/api.js";
import { showError, showNotice } from "../shared/banner.js";
import { dateInput, readDate } from "../shared/datefield.js";
import { confirmAction } from "../shared/dialog.js";
import { busy, field, h } from "../shared/dom.js";
import { language, t } from "../shared/i18n.js";

const USER_ROLES = ["member", "office", "admin"];
export const MIN_PASSWORD_LENGTH = 10; // services/accounts.py check_password_rules
const AUTHORITIES = ["", "on_behalf", "deputy", "by_order", "delegated"];
/** The layout settings offered on the form (the others keep their stored values). */
const LAYOUT_FIELDS = [
  ["margin_top_mm", 0.5],
  ["margin_bottom_mm", 0.5],
  ["margin_left_mm", 0.5],
  ["margin_right_mm", 0.5],
  ["size_title", 0.5],
  ["size_body", 0.5],
  ["size_recipients", 0.5],
  ["first_line_indent_mm", 0.1],
  ["line_spacing", 0.05],
  ["signature_space_mm", 1],
];
const LOCAL_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]", "::1"]);

/** True when the console is served over plain HTTP at an address tablets reach over the LAN. */
export function needsHttpsWarning(location) {
  return location.protocol === "http:" && !LOCAL_HOSTS.has(location.hostname);
}

/** The password rule of staff accounts, checked before sending (the server checks again). */
export function passwordProblem(password) {
  if (password.length < MIN_PASSWORD_LENGTH) return t("admin.password_too_short", { min: MIN_PASSWORD_LENGTH });
  if (!/\p{L}/u.test(password) || !/[^\p{L}]/u.test(password)) return t("admin.password_too_simple");
  return null;
}

// -- certificates for tablets -------------------------------------------------------------

function tlsCard(tls) {
  const steps = (title, items) =>
    h("div", { class: "tls-steps" }, h("h4", {}, title), h("ol", {}, items.map((text) => h("li", {}, text))));
  let body;
  if (!tls.ca_available) {
    body = h("p", { class: "muted", "data-testid": "tls-missing" }, t("admin.tls.missing"));
  } else {
    body = h(
      "div",
      { class: "tls-card" },
      h("img", {
        class: "tls-qr",
        src: apiUrl("/api/tls/ca-qr.svg"),
        alt: t("admin.tls.qr_alt"),
        width: 200,
        height: 200,
        "data-testid": "tls-qr",
      }),
      h(
        "div",
        { class: "tls-text" },
        h("a", { class: "btn btn-primary", href: apiUrl("/tls/ca.crt"), download: "phonghop-ca.crt", "data-testid": "tls-download", text: t("admin.tls.download") }),
        h("p", { class: "muted" }, t("admin.tls.fingerprint", { sha256: tls.ca_sha256.match(/.{2}/g).join(":").toUpperCase() })),
        h("p", { class: "muted" }, t("admin.tls.expires", { date: tls.ca_expires })),
        steps(t("admin.tls.android"), [
          t("admin.tls.android_first"),
          t("admin.tls.android_second"),
          t("admin.tls.android_third"),
        ]),
        steps(t("admin.tls.ipad"), [t("admin.tls.ipad_first"), t("admin.tls.ipad_second"), t("admin.tls.ipad_third")]),
      ),
    );
  }
  return h(
    "section",
    { class: "panel", id: "certificates", "data-testid": "tls-section" },
    h("h2", {}, t("admin.tls.title")),
    h("p", {}, t(tls.https ? "admin.tls.https_on" : "admin.tls.https_off")),
    body,
  );
}

// -- users --------------------------------------------------------------------------------

function userForm(page) {
  const username = h("input", { name: "username", maxlength: 80, autocomplete: "off" });
  const fullName = h("input", { name: "full_name", maxlength: 200, autocomplete: "off" });
  const title = h("input", { name: "title", maxlength: 200, autocomplete: "off" });
  const role = h(
    "select",
    { name: "role" },
    USER_ROLES.map((r) => h("option", { value: r }, t(`user_role.${r}`))),
  );
  const password = h("input", { name: "password", type: "password", autocomplete: "new-password" });
  const submit = h("button", { type: "submit", class: "btn btn-primary", text: t("admin.add_user") });
  return h(
    "form",
    {
      class: "user-form",
      novalidate: true,
      "data-testid": "user-form",
      on: {
        submit: async (event) => {
          event.preventDefault();
          if (!username.value.trim() || !fullName.value.trim()) {
            showError(t("admin.user_required"));
            return;
          }
          const body = { username: username.value.trim(), full_name: fullName.value.trim(), title: title.value.trim(), role: role.value };
          // Without a password the person cannot sign in to the console (a delegate on tablets only).
          if (password.value) {
            const problem = passwordProblem(password.value);
            if (problem) {
              showError(problem);
              password.focus();
              return;
            }
            body.password = password.value;
          }
          const user = await busy(submit, () => page.ctx.run(() => post("/api/users", body)));
          if (!user) return;
          showNotice(t("admin.user_added", { name: user.full_name }));
          await page.reload();
        },
      },
    },
    h("h3", {}, t("admin.add_user_title")),
    h("div", { class: "form-row" }, field(t("admin.username"), username), field(t("admin.full_name"), fullName), field(t("admin.user_title"), title)),
    h(
      "div",
      { class: "form-row form-row-end" },
      field(t("admin.role"), role),
      field(t("admin.password"), password, t("admin.password_hint", { min: MIN_PASSWORD_LENGTH })),
      submit,
    ),
  );
}

/** Saves one change to an account, then redraws the list with what the server kept. */
async function changeUser(page, user, changes) {
  const saved = await page.ctx.run(() => patch(`/api/users/${user.id}`, changes));
  if (!saved) return;
  await page.reload(); // the list first: the notice then speaks of what is on screen
  showNotice(t("admin.user_saved", { name: saved.full_name }));
}

function unitPicker(page, user) {
  return h(
    "select",
    {
      "aria-label": t("admin.unit_of", { name: user.full_name }),
      "data-testid": "user-unit",
      disabled: !page.admin,
      on: {
        change: (event) => {
          const value = event.target.value;
          changeUser(page, user, { unit_id: value ? Number(value) : null });
        },
      },
    },
    h("option", { value: "", selected: user.unit_id === null }, t("admin.no_unit")),
    page.units.map((u) => h("option", { value: String(u.id), selected: u.id === user.unit_id }, u.name)),
  );
}

function emailCell(page, user) {
  if (!page.admin) return h("td", {}, user.email || "—");
  // type=text: Chromium empties an email field it cannot parse, which would save "" instead
  // of telling the administrator; the server checks the address and says what is wrong.
  const input = h("input", {
    type: "text",
    inputmode: "email",
    autocomplete: "off",
    value: user.email,
    maxlength: 200,
    placeholder: t("admin.email_placeholder"),
    "aria-label": t("admin.email_of", { name: user.full_name }),
    "data-testid": "user-email",
  });
  const save = h("button", {
    type: "submit",
    class: "btn btn-small",
    text: t("action.save"),
  });
  return h(
    "td",
    {},
    h(
      "form",
      {
        class: "inline-form",
        novalidate: true,
        on: {
          submit: async (event) => {
            event.preventDefault();
            await busy(save, () => changeUser(page, user, { email: input.value.trim() }));
          },
        },
      },
      input,
      save,
    ),
  );
}

function activeCell(page, user) {
  const label = t(user.active ? "admin.active" : "admin.inactive");
  if (!page.admin || user.id === page.ctx.session?.user?.id) return h("td", {}, label);
  return h(
    "td",
    {},
    label,
    " ",
    h("button", {
      type: "button",
      class: "btn btn-small",
      "data-testid": "user-active-toggle",
      text: t(user.active ? "admin.deactivate" : "admin.activate"),
      on: { click: (event) => busy(event.target, () => changeUser(page, user, { active: !user.active })) },
    }),
  );
}

/** An administrator's reset: a new password for the account; all its sessions end. */
async function resetPassword(page, user) {
  const input = h("input", { type: "password", name: "password", autocomplete: "new-password", maxlength: 200, "data-testid": "reset-password" });
  const ok = await confirmAction({
    title: t("admin.reset_title", { name: user.full_name }),
    message: t("admin.reset_message"),
    confirmLabel: t("admin.reset_password"),
    danger: true,
    body: [field(t("admin.new_password"), input, t("password.rule", { min: MIN_PASSWORD_LENGTH }))],
    validate: () => {
      const problem = passwordProblem(input.value);
      if (problem) showError(problem);
      return !problem;
    },
  });
  if (!ok) return;
  const done = await page.ctx.run(() => post(`/api/users/${user.id}/password`, { password: input.value }));
  if (done) showNotice(t("admin.reset_done", { name: user.full_name, count: done.ended }));
}

async function unlockUser(page, user) {
  const done = await page.ctx.run(() => post(`/api/users/${user.id}/unlock`));
  if (done) showNotice(t("admin.unlock_done", { name: user.full_name, count: done.unlocked }));
}

/** The administrator's actions on another account: reset its password, lift its locks. */
function accountCell(page, user) {
  if (user.id === page.ctx.session?.user?.id) {
    return h("td", {}, h("a", { href: "#/password", class: "btn btn-small", text: t("password.title") }));
  }
  return h(
    "td",
    { class: "user-actions" },
    h("button", {
      type: "button",
      class: "btn btn-small",
      "data-testid": "user-reset-password",
      "aria-label": t("admin.reset_title", { name: user.full_name }),
      text: t("admin.reset_password"),
      on: { click: () => resetPassword(page, user) },
    }),
    " ",
    h("button", {
      type: "button",
      class: "btn btn-small",
      "data-testid": "user-unlock",
      "aria-label": t("admin.unlock_of", { name: user.full_name }),
      text: t("admin.unlock"),
      on: { click: (event) => busy(event.currentTarget, () => unlockUser(page, user)) },
    }),
  );
}

function usersSection(page) {
  const { users, admin } = page;
  return h(
    "section",
    { class: "panel", "data-testid": "users-section" },
    h("div", { class: "section-head" }, h("h2", {}, t("admin.users")), h("span", { class: "muted" }, t("admin.user_count", { count: users.length }))),
    admin ? h("div", { class: "participant-new" }, userForm(page)) : null,
    h(
      "table",
      { class: "audit-table users-table" },
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          [t("admin.full_name"), t("admin.username"), t("admin.role"), t("admin.unit"), t("admin.email"), t("admin.state")]
            .concat(admin ? [t("admin.account")] : [])
            .map((x) => h("th", { scope: "col" }, x)),
        ),
      ),
      h(
        "tbody",
        {},
        users.map((u) =>
          h(
            "tr",
            { "data-testid": "user-row" },
            h("td", {}, h("span", { class: "person-name" }, u.full_name), u.title ? h("span", { class: "person-title" }, ` — ${u.title}`) : null),
            h("td", {}, u.username),
            h("td", {}, t(`user_role.${u.role}`)),
            h("td", {}, unitPicker(page, u)),
            emailCell(page, u),
            activeCell(page, u),
            admin ? accountCell(page, u) : null,
          ),
        ),
      ),
    ),
  );
}

// -- units --------------------------------------------------------------------------------

function unitsSection(page) {
  const name = h("input", { name: "unit_name", maxlength: 300, autocomplete: "off", "data-testid": "unit-name" });
  const short = h("input", { name: "unit_short", maxlength: 100, autocomplete: "off" });
  const add = h("button", { type: "submit", class: "btn btn-primary", text: t("admin.add_unit") });
  const form = h(
    "form",
    {
      class: "user-form",
      novalidate: true,
      on: {
        submit: async (event) => {
          event.preventDefault();
          if (!name.value.trim()) {
            showError(t("admin.unit_required"));
            name.focus();
            return;
          }
          const unit = await busy(add, () =>
            page.ctx.run(() => post("/api/units", { name: name.value.trim(), short_name: short.value.trim() })),
          );
          if (!unit) return;
          showNotice(t("admin.unit_added", { name: unit.name }));
          await page.reload();
        },
      },
    },
    h("div", { class: "form-row form-row-end" }, field(t("admin.unit_name"), name), field(t("admin.unit_short"), short), add),
  );
  return h(
    "section",
    { class: "panel", "data-testid": "units-section" },
    h("div", { class: "section-head" }, h("h2", {}, t("admin.units")), h("span", { class: "muted" }, t("admin.unit_count", { count: page.units.length }))),
    page.admin ? form : null,
    page.units.length
      ? h(
          "ul",
          { class: "unit-list" },
          page.units.map((u) =>
            h(
              "li",
              { "data-testid": "unit-row" },
              h("span", {}, u.name, u.short_name ? h("span", { class: "muted" }, ` (${u.short_name})`) : null),
              page.admin
                ? h("button", {
                    type: "button",
                    class: "btn btn-small btn-danger-outline",
                    text: t("action.delete"),
                    on: {
                      click: async (event) => {
                        const done = await busy(event.target, () => page.ctx.run(() => del(`/api/units/${u.id}`)));
                        if (done === undefined) return;
                        showNotice(t("admin.unit_deleted", { name: u.name }));
                        await page.reload();
                      },
                    },
                  })
                : null,
            ),
          ),
        )
      : h("p", { class: "empty" }, t("admin.units_empty")),
  );
}

// -- notice settings ----------------------------------------------------------------------

function settingsSection(page) {
  const s = page.settings;
  const input = (name, value, attrs = {}) => h("input", { name, value: value ?? "", ...attrs });
  const headerName = h("textarea", { name: "header_name", rows: 2, value: s.header_name });
  const parentName = input("parent_name", s.parent_name);
  const sentenceName = input("sentence_name", s.sentence_name);
  const place = input("place", s.place, { maxlength: 120 });
  const fileCopy = input("file_copy", s.file_copy);
  const memberLabel = input("member_label", s.member_label);
  const termStart = dateInput({ name: "term_start" }, s.term_start);
  const recipients = h("textarea", { name: "recipients", rows: 4, value: (s.recipients ?? []).join("\n") });
  // The codes the edXML package needs (mã định danh, "000.00.00.H41"): the body's, and per
  // recipient agency one line "code name".
  const agencyCode = input("agency_code", s.exchange?.agency_code, { maxlength: 20, placeholder: "000.00.00.H41" });
  const recipientCodes = h("textarea", {
    name: "recipient_codes",
    rows: 3,
    value: (s.exchange?.recipients ?? []).map((r) => `${r.code} ${r.name}`).join("\n"),
  });
  const signerTitle = input("signer_title", s.signature?.signer_title);
  const signerName = input("signer_name", s.signature?.signer_name);
  const firstAuthority = s.signature?.authorities?.[0];
  const authority = h(
    "select",
    { name: "authority" },
    AUTHORITIES.filter((a) => a !== "delegated" || s.format === "state").map((a) =>
      h("option", { value: a, selected: (firstAuthority?.authority ?? "") === a }, t(a ? `admin.authority.${a}` : "admin.authority.none")),
    ),
  );
  const authorityOf = input("authority_of", firstAuthority?.of);
  const includeVotes = h("input", { type: "checkbox", name: "include_votes", checked: s.layout.include_votes });
  const layoutInputs = LAYOUT_FIELDS.map(([key, step]) => [
    key,
    h("input", { type: "number", name: key, step, inputmode: "decimal", value: String(s.layout[key]) }),
  ]);
  const submit = h("button", { type: "submit", class: "btn btn-primary", text: t("admin.settings_save") });
  const lines = (ta) =>
    ta.value
      .split("\n")
      .map((x) => x.trim())
      .filter(Boolean);
  const form = h(
    "form",
    {
      class: "settings-form",
      novalidate: true,
      "data-testid": "settings-form",
      on: {
        submit: async (event) => {
          event.preventDefault();
          const layout = { ...s.layout, include_votes: includeVotes.checked };
          for (const [key, el] of layoutInputs) {
            const n = Number(el.value);
            if (el.value === "" || !Number.isFinite(n)) {
              showError(t("admin.number_required"));
              el.focus();
              return;
            }
            layout[key] = n;
          }
          const codes = lines(recipientCodes).map((line) => {
            const [code, ...name] = line.split(/\s+/);
            return { code, name: name.join(" ") };
          });
          const body = {
            layout,
            header_name: headerName.value.trim(),
            parent_name: parentName.value.trim(),
            sentence_name: sentenceName.value.trim(),
            place: place.value.trim(),
            file_copy: fileCopy.value.trim(),
            member_label: memberLabel.value.trim(),
            term_start: (readDate(termStart) ?? termStart.value.trim()) || null,
            recipients: lines(recipients),
            signature: null,
            signing: s.signing
              ? {
                  pkcs12_path: s.signing.pkcs12_path,
                  passphrase_env: s.signing.passphrase_env ?? "",
                  passphrase_file: s.signing.passphrase_file ?? "",
                  reason: s.signing.reason ?? "",
                  // USB tokens are set through the API only: kept as they are.
                  tokens: s.signing.tokens ?? [],
                }
              : null,
            exchange: { agency_code: agencyCode.value.trim(), recipients: codes },
          };
          if (signerTitle.value.trim() || signerName.value.trim()) {
            body.signature = {
              signer_title: signerTitle.value.trim(),
              signer_name: signerName.value.trim(),
              authorities: authority.value ? [{ authority: authority.value, of: authorityOf.value.trim() }] : [],
            };
          }
          const saved = await busy(submit, () => page.ctx.run(() => put("/api/notice-settings", body)));
          if (!saved) return;
          page.settings = saved;
          showNotice(t("admin.settings_saved"));
          page.draw();
        },
      },
    },
    h(
      "fieldset",
      { class: "settings-fields", disabled: !page.admin },
      h(
        "p",
        { class: "muted", "data-testid": "settings-format" },
        t("admin.format", { format: t(`admin.format.${s.format}`), symbol: s.symbol }),
      ),
      h("h3", {}, t("admin.settings_names")),
      h("div", { class: "form-row" }, field(t("admin.header_name"), headerName, t("admin.header_name_hint")), field(t("admin.parent_name"), parentName)),
      h("div", { class: "form-row" }, field(t("admin.sentence_name"), sentenceName), field(t("admin.member_label"), memberLabel)),
      h("div", { class: "form-row" }, field(t("admin.place"), place), field(t("admin.term_start"), termStart, t("admin.term_start_hint"))),
      h("h3", {}, t("admin.settings_signer")),
      h(
        "div",
        { class: "form-row" },
        field(t("admin.authority"), authority),
        field(t("admin.authority_of"), authorityOf),
        field(t("admin.signer_title"), signerTitle),
        field(t("admin.signer_name"), signerName),
      ),
      h("h3", {}, t("admin.settings_recipients")),
      h("div", { class: "form-row" }, field(t("admin.recipients"), recipients, t("notices.one_per_line")), field(t("admin.file_copy"), fileCopy)),
      h("h3", {}, t("admin.settings_exchange")),
      h(
        "div",
        { class: "form-row" },
        field(t("admin.agency_code"), agencyCode, t("admin.agency_code_hint")),
        field(t("admin.recipient_codes"), recipientCodes, t("admin.recipient_codes_hint")),
      ),
      h("h3", {}, t("admin.settings_layout")),
      h("div", { class: "layout-grid" }, layoutInputs.map(([key, el]) => field(t(`admin.layout.${key}`), el))),
      h("label", { class: "check" }, includeVotes, h("span", {}, t("admin.include_votes"))),
      page.admin ? h("div", { class: "form-actions" }, submit) : h("p", { class: "muted" }, t("admin.settings_admin_only")),
    ),
  );
  return h("section", { class: "panel", "data-testid": "settings-section" }, h("h2", {}, t("admin.settings")), form);
}

/** PUT the chosen PNG file as the request body (the API takes the image itself, not JSON). */
async function uploadImage(path, file) {
  const headers = { Accept: "application/json", "Content-Type": "image/png", "Accept-Language": language() };
  if (csrfToken()) headers["X-CSRF-Token"] = csrfToken();
  const response = await fetch(apiUrl(path), { method: "PUT", headers, body: file, credentials: "same-origin", cache: "no-store" });
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    const error = data?.error ?? {};
    throw new ApiError(response.status, error.code ?? `http_${response.status}`, error.message ?? t("error.unexpected", { status: response.status }), error.params ?? {});
  }
  return data;
}

/** The body's seal and the default signer's signature, shown on notices issued with a digital signature. */
function imagesSection(page) {
  const signer = page.settings.signature?.signer_name ?? "";
  const row = (kind, label, hint, query) => {
    const stored = page.images.find((i) => i.kind === kind && (kind === "seal" || i.signer === signer));
    const path = `/api/notice-settings/images/${kind}${query}`;
    const fileInput = h("input", { type: "file", accept: "image/png", name: `${kind}_file` });
    const width = kind === "seal" ? h("input", { type: "number", name: "seal_width_mm", step: 0.5, min: 15, max: 60, value: stored ? String(stored.width_mm) : "" }) : null;
    const upload = h("button", { type: "button", class: "btn", text: t("admin.images_upload") });
    upload.addEventListener("click", async () => {
      const file = fileInput.files?.[0];
      if (!file) {
        showError(t("admin.images_choose"));
        return;
      }
      const extra = width && width.value ? `${query ? "&" : "?"}width_mm=${encodeURIComponent(width.value)}` : "";
      const saved = await busy(upload, () => page.ctx.run(() => uploadImage(path + extra, file)));
      if (!saved) return;
      page.images = (await get("/api/notice-settings/images")).images;
      showNotice(t("admin.images_saved"));
      page.draw();
    });
    const remove = h("button", { type: "button", class: "btn", text: t("admin.images_remove") });
    remove.addEventListener("click", async () => {
      const done = await busy(remove, () => page.ctx.run(() => del(path)));
      if (!done) return;
      page.images = (await get("/api/notice-settings/images")).images;
      page.draw();
    });
    return h(
      "div",
      { class: "form-row", "data-testid": `image-${kind}` },
      h("p", {}, h("strong", {}, label), " ", h("span", { class: "muted" }, hint)),
      stored
        ? h("img", { src: apiUrl(path) + `${query ? "&" : "?"}v=${stored.sha256.slice(0, 12)}`, alt: label, class: "notice-image" })
        : h("p", { class: "muted" }, t("admin.images_none")),
      page.admin ? field(t("admin.images_file"), fileInput) : null,
      page.admin && width ? field(t("admin.images_width"), width) : null,
      page.admin ? h("div", { class: "form-actions" }, upload, stored ? remove : null) : null,
    );
  };
  const rows = [row("seal", t("admin.images_seal"), t("admin.images_seal_hint"), "")];
  if (signer) rows.push(row("signature", t("admin.images_signature", { name: signer }), t("admin.images_signature_hint"), `?signer=${encodeURIComponent(signer)}`));
  else rows.push(h("p", { class: "muted" }, t("admin.images_no_signer")));
  return h("section", { class: "panel", "data-testid": "images-section" }, h("h2", {}, t("admin.images")), h("p", { class: "muted" }, t("admin.images_intro")), ...rows);
}

export async function renderAdminPage(ctx, token) {
  const root = h("div", { class: "admin-page" });
  const admin = ctx.session?.user?.role === "admin";
  const [users, settings, tls, units, images] = await Promise.all([
    get("/api/users"),
    get("/api/notice-settings"),
    get("/api/tls"),
    get("/api/units"),
    get("/api/notice-settings/images"),
  ]);
  const page = {
    ctx,
    admin,
    users: users.users,
    units: units.units,
    settings,
    images: images.images,
    tls,
    draw() {
      root.replaceChildren(
        h("div", { class: "page-head" }, h("h1", {}, t("admin.title"))),
        tlsCard(this.tls),
        usersSection(this),
        unitsSection(this),
        settingsSection(this),
        imagesSection(this),
      );
    },
    async reload() {
      await ctx.run(async () => {
        const [users, units] = await Promise.all([get("/api/users"), get("/api/units")]);
        this.users = users.users;
        this.units = units.units;
        this.draw();
      });
    },
  };
  page.draw();
  ctx.mount(token, root);
}
