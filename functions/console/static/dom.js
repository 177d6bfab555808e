// Building the page from data. Text goes in as text nodes or textContent, never as markup: customer
// comments and names are hostile input. Every text and every label read aloud passes through
// text.js `shown` on its way in, so no bidi override or invisible character reaches the page; values a
// person wrote are also isolated (text.js `isolated`) where they sit among other words.

import { shown } from "./text.js";

const SPOKEN = new Set(["aria-label", "title", "placeholder", "alt"]);

export function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") element.className = value;
    else if (name === "text") element.textContent = shown(value);
    else if (name === "dataset") Object.assign(element.dataset, value);
    else if (name.startsWith("on") && typeof value === "function") {
      element.addEventListener(name.slice(2), value);
    } else if (SPOKEN.has(name)) element.setAttribute(name, shown(value));
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  append(element, children);
  return element;
}

export function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(shown(child)));
  }
  return element;
}

// An element's whole text, made safe to show (for messages set after the element was built).
export function setText(element, value) {
  element.textContent = shown(value);
  return element;
}

// Parts (strings or nodes) between separators, the empty ones left out: "a · b · c".
export function joined(parts, separator = " · ") {
  return parts
    .filter((part) => part !== null && part !== undefined && part !== false && part !== "")
    .flatMap((part, index) => (index ? [separator, part] : [part]));
}

export function clear(element) {
  element.replaceChildren();
  return element;
}

let fieldCount = 0;

// A labelled form field: <div><label for=id>…</label><control id=id></div>.
export function field(labelText, control, hint) {
  fieldCount += 1;
  const id = control.id || `field-${fieldCount}`;
  control.id = id;
  const parts = [h("label", { for: id, text: labelText }), control];
  if (hint) {
    const hintId = `${id}-hint`;
    control.setAttribute("aria-describedby", hintId);
    parts.push(h("p", { class: "hint", id: hintId, text: hint }));
  }
  return h("div", { class: "field" }, parts);
}

export function options(pairs, selected) {
  return pairs.map(([value, label]) => h("option", { value, selected: value === selected }, label));
}
