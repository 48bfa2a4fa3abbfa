// Building DOM nodes without innerHTML: text is always set as text, never parsed.

const PROPERTIES = new Set(["value", "checked", "disabled", "hidden", "selected", "required", "open"]);

/**
 * h("button", {class: "btn", on: {click}}, "Lưu") creates an element.
 * Attributes: `class`, `text`, `dataset`, `on` (event listeners), properties such as
 * `value`/`checked`/`disabled`, and plain attributes for everything else (null or
 * false leaves an attribute out). Children: nodes, strings, arrays, null/false (skipped).
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) {
      if (PROPERTIES.has(name)) el[name] = false;
      continue;
    }
    if (name === "class") el.className = Array.isArray(value) ? value.filter(Boolean).join(" ") : value;
    else if (name === "text") el.textContent = value;
    else if (name === "dataset") Object.assign(el.dataset, value);
    else if (name === "on") for (const [event, fn] of Object.entries(value)) el.addEventListener(event, fn);
    else if (PROPERTIES.has(name)) el[name] = value;
    else el.setAttribute(name, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replace everything inside `el` with `children`. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** A labelled form field: <label><span>label</span>control</label>. */
export function field(label, control, hint = null) {
  return h(
    "label",
    { class: "field" },
    h("span", { class: "field-label" }, label),
    control,
    hint ? h("span", { class: "field-hint" }, hint) : null,
  );
}

/** Run `action` with `button` disabled, so a double tap does not send twice. */
export async function busy(button, action) {
  if (button) button.disabled = true;
  try {
    return await action();
  } finally {
    if (button && button.isConnected) button.disabled = false;
  }
}
