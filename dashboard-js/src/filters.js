// The filters of a view: the bar of chips above the cards ("Source is Google or Bing", each one opens
// the editor; × removes it) and the "+ Filter" editor, a <dialog> taking a dimension (a goal, or a
// custom property's key), an operator and one or more values, any of which matches.
//
// Values are tracked data (attacker-controlled): they are only ever written with textContent or as
// attributes. A value may not hold ; or | (the URL's separators between filters and between values).

import { el, fill } from "./dom.js";
import { DIMENSIONS, dimensionLabel, valueLabel } from "./widgets.js";

export const OPERATOR_WORDS = { is: "is", is_not: "is not", contains: "contains", contains_not: "does not contain" };
export const PROPS_PREFIX = "event:props:";
/** The dimension select's entry for a custom property (its key is chosen beside it). */
export const PROPERTY = "property";
const GOAL = "event:goal";
const MAX_PROP_KEY = 300; // as analytics.dimensions.MAX_PROP_KEY
const SUGGESTIONS = 25;

/** "Source is Google or Bing": the chip's words, as [dimension and operator, values]. */
export function chipWords(filter) {
  const values = filter.values.map((v) => valueLabel(filter.dimension, v)).join(" or ");
  return [`${dimensionLabel(filter.dimension)} ${OPERATOR_WORDS[filter.op] || filter.op} `, values];
}

/** What is wrong with a value typed into the editor, or null. */
export function valueProblem(value) {
  if (!value) return "Type a value to filter by.";
  if (/[;|]/.test(value)) return "A value cannot contain ; or |.";
  return null;
}

/** What is wrong with a custom property's key, or null (the URL's syntax cannot hold = ! ~ ; |). */
export function keyProblem(key) {
  if (!key) return "Choose or type a property.";
  if (key.length > MAX_PROP_KEY) return `A property's name is at most ${MAX_PROP_KEY} characters.`;
  if (/[=!~;|]/.test(key)) return "A property whose name holds = ! ~ ; or | cannot be filtered by here.";
  return null;
}

/** The values without blanks and repeats, in the order given. */
export function distinctValues(values) {
  return [...new Set(values.map((v) => String(v).trim()).filter(Boolean))];
}

/**
 * The state with ``filter`` in place of the filter at ``index`` (-1: a new one). Any other filter on the
 * same dimension goes (one filter a dimension, as a click on a row does).
 */
export function withFilterAt(state, index, filter) {
  const others = state.filters.filter((f, at) => at !== index && f.dimension !== filter.dimension);
  const at = index < 0 ? others.length : Math.min(index, others.length);
  return { ...state, filters: [...others.slice(0, at), filter, ...others.slice(at)] };
}

/** The state without the filter at ``index``. */
export function withoutFilterAt(state, index) {
  return { ...state, filters: state.filters.filter((_, at) => at !== index) };
}

/**
 * The bar of chips. ``edit(index)`` opens the editor on a chip; ``navigate(state)`` applies a removal.
 */
export function renderFilterBar(bar, state, { navigate, edit }) {
  const pills = state.filters.map((f, index) => {
    const [words, values] = chipWords(f);
    const label = dimensionLabel(f.dimension);
    return el("span", { class: "pill", attrs: { "data-dimension": f.dimension, "data-index": index } }, [
      el("button", {
        class: "pill-edit",
        attrs: { type: "button", title: `Edit the ${label} filter` },
        on: { click: () => edit(index) },
      }, [el("span", { text: words }), el("strong", { text: values })]),
      el("button", {
        class: "remove",
        text: "×",
        attrs: { type: "button", "aria-label": `Remove the ${label} filter` },
        on: { click: () => navigate(withoutFilterAt(state, index)) },
      }),
    ]);
  });
  if (state.filters.length > 1) {
    pills.push(el("button", { class: "link small", text: "Clear all", attrs: { type: "button" }, on: { click: () => navigate({ ...state, filters: [] }) } }));
  }
  fill(bar, pills);
  bar.hidden = !pills.length;
}

/**
 * The "+ Filter" editor in ``dialog``. ctx: {state(), navigate(next), breakdown(state, property) ->
 * Promise<[value, ...]>, propKeys() -> Promise<[key, ...]>, goals: [display name, ...]}.
 * Returns {open(index)}: -1 for a new filter, else the index of the filter to edit.
 */
export function filterEditor(dialog, ctx) {
  const form = dialog.querySelector("form");
  const dimensionSelect = form.elements.dimension;
  const operatorSelect = form.elements.operator;
  const keyRow = form.querySelector(".prop-key");
  const keyInput = form.elements.prop_key;
  const keyList = dialog.querySelector("#filter-prop-keys");
  const valueRow = form.querySelector(".value-entry");
  const input = form.elements.value;
  const suggestions = dialog.querySelector("#filter-suggestions");
  const chosen = form.querySelector("#filter-values");
  const goalChoices = form.querySelector("#filter-goals");
  const message = form.querySelector(".error");
  const title = dialog.querySelector("#filter-title");
  const submit = form.querySelector("button[type=submit]");
  let editing = -1;
  let values = [];
  let asked = 0; // the suggestions last asked for: an older answer is dropped

  const options = Object.entries(DIMENSIONS).map(([name, label]) => el("option", { text: label, attrs: { value: name } }));
  options.push(el("option", { text: "Custom property", attrs: { value: PROPERTY } }));
  fill(dimensionSelect, options);

  /** The dimension chosen ("event:props:<key>" for a property), or null when the key is missing. */
  function dimension() {
    if (dimensionSelect.value !== PROPERTY) return dimensionSelect.value;
    const key = keyInput.value.trim();
    return keyProblem(key) ? null : PROPS_PREFIX + key;
  }

  function showError(text) {
    message.textContent = text || "";
    message.hidden = !text;
  }

  function renderValues() {
    fill(chosen, values.map((value, index) =>
      el("li", { class: "value-chip", attrs: { "data-value": value } }, [
        el("span", { text: valueLabel(dimension() || "", value) }),
        el("button", {
          class: "remove",
          text: "×",
          attrs: { type: "button", "aria-label": `Remove ${value}` },
          on: { click: () => { values = values.filter((_, at) => at !== index); renderValues(); input.focus(); } },
        }),
      ])));
    chosen.hidden = !values.length;
  }

  /** Goals: a box to tick for each of the site's goals, instead of typed values. */
  function renderGoals() {
    if (!ctx.goals.length) {
      fill(goalChoices, [el("p", { class: "muted small", text: "This site has no goals yet: they are set in its settings." })]);
      return;
    }
    fill(goalChoices, ctx.goals.map((goal) =>
      el("label", { class: "check" }, [
        el("input", { attrs: { type: "checkbox", name: "goal", value: goal, checked: values.includes(goal) } }),
        el("span", { text: goal }),
      ])));
  }

  /** Show the parts the dimension needs: a property's key, goals' boxes or typed values. */
  function layout() {
    const isGoal = dimensionSelect.value === GOAL;
    keyRow.hidden = dimensionSelect.value !== PROPERTY;
    goalChoices.hidden = !isGoal;
    valueRow.hidden = isGoal;
    chosen.hidden = isGoal || !values.length;
    for (const option of operatorSelect.options) {
      option.hidden = option.disabled = isGoal && option.value.startsWith("contains");
    }
    if (operatorSelect.selectedOptions[0] && operatorSelect.selectedOptions[0].disabled) operatorSelect.value = "is";
    if (isGoal) renderGoals();
    else renderValues();
  }

  async function suggest() {
    const wanted = dimension();
    const ticket = ++asked;
    fill(suggestions, []);
    if (!wanted || wanted === GOAL) return;
    try {
      const found = await ctx.breakdown(wanted, SUGGESTIONS);
      if (ticket !== asked) return;
      fill(suggestions, found.map((value) => el("option", { attrs: { value }, text: valueLabel(wanted, value) })));
    } catch (err) {
      if (ticket === asked) fill(suggestions, []); // suggestions are a help; typing a value still works
    }
  }

  async function suggestKeys() {
    try {
      const keys = await ctx.propKeys();
      fill(keyList, keys.map((key) => el("option", { attrs: { value: key } })));
    } catch (err) {
      fill(keyList, []); // typing a key still works
    }
  }

  /** Add what is typed as a value; false (and a message) when it cannot be one. */
  function addTyped() {
    const value = input.value.trim();
    const problem = valueProblem(value);
    if (problem) {
      showError(problem);
      return false;
    }
    if (!values.includes(value)) values.push(value);
    input.value = "";
    showError(null);
    renderValues();
    return true;
  }

  function open(index = -1) {
    const current = ctx.state().filters[index];
    editing = current ? index : -1;
    form.reset();
    showError(null);
    values = current ? [...current.values] : [];
    const isProp = current && current.dimension.startsWith(PROPS_PREFIX);
    dimensionSelect.value = current ? (isProp ? PROPERTY : current.dimension) : dimensionSelect.options[0].value;
    keyInput.value = isProp ? current.dimension.slice(PROPS_PREFIX.length) : "";
    operatorSelect.value = current ? current.op : "is";
    title.textContent = current ? `Edit the ${dimensionLabel(current.dimension)} filter` : "Filter the dashboard";
    submit.textContent = current ? "Update filter" : "Apply filter";
    layout();
    dialog.showModal();
    if (dimensionSelect.value === PROPERTY) suggestKeys();
    suggest();
  }

  dimensionSelect.addEventListener("change", () => {
    if (dimensionSelect.value === GOAL) values = values.filter((v) => ctx.goals.includes(v));
    layout();
    if (dimensionSelect.value === PROPERTY) suggestKeys();
    suggest();
  });
  keyInput.addEventListener("change", suggest);
  input.addEventListener("keydown", (e) => {
    if (e.key !== "Enter" || !input.value.trim()) return; // Enter on an empty field applies the filter
    e.preventDefault();
    addTyped();
  });
  form.querySelector("[data-add]").addEventListener("click", () => {
    addTyped();
    input.focus();
  });
  form.querySelector("[data-close]").addEventListener("click", () => dialog.close());
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const chosenDimension = dimension();
    if (!chosenDimension) return showError(keyProblem(keyInput.value.trim()));
    if (chosenDimension === GOAL) {
      values = [...goalChoices.querySelectorAll("input[name=goal]:checked")].map((box) => box.value);
      if (!values.length) return showError(ctx.goals.length ? "Tick at least one goal." : "This site has no goals to filter by.");
    } else if (input.value.trim() && !addTyped()) {
      return;
    }
    const picked = distinctValues(values);
    if (!picked.length) return showError(valueProblem(""));
    dialog.close();
    ctx.navigate(withFilterAt(ctx.state(), editing, { op: operatorSelect.value, dimension: chosenDimension, values: picked }));
  });

  return { open };
}
