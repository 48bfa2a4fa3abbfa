// Sign-in screen of the console.

import { login } from "../shared/api.js";
import { clearBanner, showError } from "../shared/banner.js";
import { busy, field, h } from "../shared/dom.js";
import { t } from "../shared/i18n.js";

export function renderLogin(ctx, token) {
  const username = h("input", {
    name: "username",
    autocomplete: "username",
    autocapitalize: "none",
    spellcheck: "false",
    "data-testid": "login-username",
  });
  const password = h("input", {
    name: "password",
    type: "password",
    autocomplete: "current-password",
    "data-testid": "login-password",
  });
  const submit = h("button", {
    type: "submit",
    class: "btn btn-primary btn-block",
    "data-testid": "login-submit",
    text: t("login.submit"),
  });
  const form = h(
    "form",
    {
      class: "login-form panel",
      novalidate: true,
      on: {
        submit: async (event) => {
          event.preventDefault();
          clearBanner();
          if (!username.value.trim() || !password.value) {
            showError(t("login.missing"));
            (username.value.trim() ? password : username).focus();
            return;
          }
          try {
            const session = await busy(submit, () => login(username.value.trim(), password.value));
            password.value = "";
            ctx.signedIn(session);
          } catch (err) {
            showError(err); // a wrong password is a 401 too, but not a lost session
            password.select();
          }
        },
      },
    },
    h("h1", { class: "login-title" }, t("login.title")),
    h("p", { class: "muted" }, t("login.intro")),
    field(t("login.username"), username),
    field(t("login.password"), password),
    submit,
  );
  if (ctx.mount(token, h("div", { class: "login-screen" }, form))) username.focus();
}
