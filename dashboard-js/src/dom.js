// Building DOM nodes. Text is only ever set with textContent (tracked data is attacker-controlled),
// attributes with setAttribute, styles through the CSSOM (the page's CSP forbids inline style text).

/**
 * el("li", {class: "row", text: page, attrs: {tabindex: "0"}, on: {click: fn}}, [child, ...])
 * @returns {HTMLElement}
 */
export function el(tag, options = {}, children = []) {
  const node = document.createElement(tag);
  if (options.class) node.className = options.class;
  if (options.text !== undefined) node.textContent = String(options.text);
  for (const [name, value] of Object.entries(options.attrs || {})) {
    if (value !== undefined && value !== null && value !== false) node.setAttribute(name, String(value));
  }
  for (const [event, handler] of Object.entries(options.on || {})) node.addEventListener(event, handler);
  for (const child of children) if (child) node.appendChild(child);
  return node;
}

const SVG = "http://www.w3.org/2000/svg";

/** An SVG element with attributes. */
export function svg(tag, attrs = {}) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  return node;
}

/** Replace a node's children. */
export function fill(node, children) {
  node.replaceChildren(...children.filter(Boolean));
}
