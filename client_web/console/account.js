// Đổi mật khẩu: any staff user changes their own password. The account's other sessions
// end at once (their live connections close, on every server); this one stays.

import { put } from "../shared/api.js";
import { showError, showNotice } from "../shared/banner.js";
import { busy, field, h } from "../shared/dom.js";
import { t } from "../shared/i18n.js";
import { MIN_PASSWORD_LENGTH, passwordProblem } from "./admin.js";

function passwordInput(name, autocomplete, testid) {
  return h("input", { type: "password", name, autocomplete, maxlength: 200, "data-testid": testid });
}

export function renderPasswordPage(ctx, token) {
  const current = passwordInput("current_password", "current-password", "password-current");
  const fresh = passwordInput("new_password", "new-password", "password-new");
  const again = passwordInput("new_password_again", "new-password", "password-again");
  const submit = h("button", { type: "submit", class: "btn btn-primary", "data-testid": "password-save", text: t("password.save") });

  function problem() {
    if (!current.value) return t("password.current_required");
    return passwordProblem(fresh.value) ?? (fresh.value === again.value ? null : t("password.mismatch"));
  }

  const form = h(
    "form",
    {
      class: "panel password-form",
      "data-testid": "password-form",
      novalidate: true,
      on: {
        submit: async (event) => {
          event.preventDefault();
          const wrong = problem();
          if (wrong) {
            showError(wrong);
            return;
          }
          const body = { current_password: current.value, new_password: fresh.value };
          const done = await busy(submit, () => ctx.run(() => put("/api/session/password", body)));
          if (!done) return;
          form.reset();
          showNotice(t("password.changed", { count: done.ended }));
        },
      },
    },
    h("p", { class: "muted" }, t("password.intro")),
    field(t("password.current"), current),
    field(t("password.new"), fresh, t("password.rule", { min: MIN_PASSWORD_LENGTH })),
    field(t("password.again"), again),
    h("div", { class: "form-actions" }, submit),
  );
  ctx.mount(token, h("div", { class: "password-page" }, h("div", { class: "page-head" }, h("h1", {}, t("password.title"))), form));
}
