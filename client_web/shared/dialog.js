// A confirmation dialog in the UI's language (window.confirm shows the browser's own
// buttons, often in English, and cannot be styled for a tablet).

import { h } from "./dom.js";
import { t } from "./i18n.js";

/**
 * Resolves true when the user confirms, false when they cancel or press Escape.
 * `body` adds fields under the message (a reason to type...); `validate` runs when the
 * confirm button is pressed and keeps the dialog open while it returns false.
 */
export function confirmAction({ title, message, confirmLabel, danger = false, body = [], validate = null }) {
  return new Promise((resolve) => {
    const dialog = h(
      "dialog",
      { class: "dialog", "aria-labelledby": "dialog-title" },
      h("h2", { id: "dialog-title", class: "dialog-title" }, title),
      message ? h("p", { class: "dialog-message" }, message) : null,
      ...body,
      h(
        "form",
        { method: "dialog", class: "dialog-actions" },
        h("button", { type: "submit", value: "cancel", class: "btn", text: t("action.cancel_dialog") }),
        h("button", {
          type: "submit",
          value: "confirm",
          class: ["btn", danger ? "btn-danger" : "btn-primary"],
          "data-testid": "dialog-confirm",
          text: confirmLabel,
          on: validate
            ? {
                click: (event) => {
                  if (!validate()) event.preventDefault();
                },
              }
            : {},
        }),
      ),
    );
    dialog.addEventListener("close", () => {
      resolve(dialog.returnValue === "confirm");
      dialog.remove();
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}
