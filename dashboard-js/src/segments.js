// The "Segments" menu beside "+ Filter": the site's saved sets of filters (panel/dashboard/segments.py).
// Anyone who sees the dashboard applies one (the URL's filters become the segment's); the site's
// owners and admins also save the current filters under a name, rename and delete (asked first, in a
// <dialog>). The list is read each time the menu opens, so the page's first load asks nothing more.
// Names and filters are people's and visitors' text: written only with textContent and attributes.

import { ApiError, get, send } from "./api.js";
import { el, fill } from "./dom.js";
import { chipWords } from "./filters.js";
import { formatFilters, parseFilters } from "./state.js";

const MAX_NAME = 80; // as panel.dashboard.models.MAX_NAME

/** "Source is Google or Bing; Page contains blog": a segment's filters in words. */
export function describeFilters(text) {
  return parseFilters(text).map((f) => chipWords(f).join("")).join("; ");
}

/** Whether a segment's filters are the view's (in any spelling the URL's syntax allows). */
export function isApplied(segment, filters) {
  return filters.length > 0 && formatFilters(parseFilters(segment.filters)) === formatFilters(filters);
}

/**
 * The menu in ``menu`` (a <details data-menu>) and its delete confirmation ``confirm`` (a <dialog>).
 * ctx: {site: the domain, state(), navigate(next)}.
 */
export function segmentsMenu(menu, confirm, ctx) {
  const list = menu.querySelector(".segments-list");
  const base = `/dashboard-data/${encodeURIComponent(ctx.site)}/segments`;
  let segments = [];
  let canEdit = false;
  let renaming = null; // the id of the segment whose name is being edited
  let status = { text: "", error: false };

  function say(text, error = false) {
    status = { text, error };
  }

  async function load() {
    try {
      const data = await get(base, {});
      segments = data.results;
      canEdit = Boolean(data.can_edit);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      say("Could not load the segments: " + err.message, true);
    }
    render();
    list.dataset.loaded = "true"; // tests wait for it
  }

  function apply(segment) {
    menu.open = false;
    say("");
    ctx.navigate({ ...ctx.state(), filters: parseFilters(segment.filters) });
  }

  async function run(action, done, { saved = false } = {}) {
    delete list.dataset.loaded;
    try {
      await action();
      say(done);
      renaming = null;
      if (saved) list.querySelector("#segment-name").value = ""; // saved: the name is not typed again
      await load();
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      say(err.message, true);
      render();
      list.dataset.loaded = "true";
    }
  }

  function item(segment) {
    const applied = isApplied(segment, ctx.state().filters);
    if (renaming === segment.id) {
      const form = el("form", { class: "segment-rename", attrs: { novalidate: true } }, [
        el("input", { attrs: { name: "name", value: segment.name, maxlength: MAX_NAME, "aria-label": `New name of ${segment.name}`, autocomplete: "off" } }),
        el("button", { text: "Save", attrs: { type: "submit" } }),
        el("button", { class: "ghost", text: "Cancel", attrs: { type: "button" }, on: { click: () => { renaming = null; render(); } } }),
      ]);
      form.addEventListener("submit", (e) => {
        e.preventDefault();
        const name = form.elements.name.value.trim();
        run(() => send("POST", `${base}/${segment.id}`, { name }), `Renamed to “${name}”.`);
      });
      return el("li", { class: "segment", attrs: { "data-id": segment.id } }, [form]);
    }
    return el("li", { class: "segment" + (applied ? " active" : ""), attrs: { "data-id": segment.id } }, [
      el("button", {
        class: "preset segment-apply",
        attrs: { type: "button", role: "menuitem", title: describeFilters(segment.filters), "aria-current": applied ? "true" : null },
        on: { click: () => apply(segment) },
      }, [el("span", { text: segment.name })]),
      canEdit ? el("button", {
        class: "segment-action segment-rename-button",
        text: "✎",
        attrs: { type: "button", title: "Rename", "aria-label": `Rename ${segment.name}` },
        on: { click: () => { renaming = segment.id; say(""); render(); } },
      }) : null,
      canEdit ? el("button", {
        class: "segment-action segment-delete",
        text: "×",
        attrs: { type: "button", title: "Delete", "aria-label": `Delete ${segment.name}` },
        on: { click: () => askDelete(segment) },
      }) : null,
    ]);
  }

  function saveForm() {
    const filters = ctx.state().filters;
    if (!canEdit) {
      return el("p", { class: "muted small segments-note", text: "The site's owners and admins save segments; anyone who sees the dashboard applies them." });
    }
    const form = el("form", { class: "segment-save", attrs: { novalidate: true } }, [
      el("label", { attrs: { for: "segment-name" }, class: "muted small", text: "Save the current filters as" }),
      el("div", { class: "segment-save-row" }, [
        el("input", { attrs: { id: "segment-name", name: "name", maxlength: MAX_NAME, placeholder: "A name", autocomplete: "off", disabled: !filters.length } }),
        el("button", { text: "Save", attrs: { type: "submit", disabled: !filters.length } }),
      ]),
      filters.length ? null : el("p", { class: "muted small", text: "Add a filter first: a segment is a set of filters." }),
    ]);
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const name = form.elements.name.value.trim();
      const text = formatFilters(ctx.state().filters);
      run(() => send("POST", base, { name, filters: text }), `Saved “${name}”.`, { saved: true });
    });
    return form;
  }

  function render() {
    // what is being typed survives the list arriving (it is drawn at once, then again when read)
    const typing = list.querySelector("#segment-name");
    const typed = typing ? typing.value : "";
    const focused = typing && document.activeElement === typing;
    const items = segments.map(item);
    fill(list, [
      el("p", { class: "menu-heading muted small", text: "Saved segments" }),
      items.length ? el("ul", { class: "segment-items", attrs: { role: "none" } }, items) : el("p", { class: "muted small segments-empty", text: "No segments yet." }),
      status.text ? el("p", { class: "segments-status small" + (status.error ? " error" : " muted"), text: status.text, attrs: { role: "status" } }) : null,
      el("hr", { attrs: { role: "separator" } }),
      saveForm(),
    ]);
    const input = list.querySelector("#segment-name");
    if (input && typed) input.value = typed;
    if (input && focused) input.focus();
    if (renaming !== null) {
      const renamed = list.querySelector(".segment-rename input");
      if (renamed) renamed.focus();
    }
  }

  // -- deleting, asked first ---------------------------------------------------------------------------

  const confirmForm = confirm.querySelector("form");
  const confirmError = confirm.querySelector(".error");
  let doomed = null;

  function askDelete(segment) {
    doomed = segment;
    confirm.querySelector(".segment-name").textContent = `“${segment.name}”`;
    confirm.querySelector(".segment-filters").textContent = describeFilters(segment.filters);
    confirmError.hidden = true;
    confirm.showModal();
  }

  confirmForm.querySelector("[data-close]").addEventListener("click", () => confirm.close());
  confirmForm.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (!doomed) return confirm.close();
    const segment = doomed;
    delete list.dataset.loaded;
    try {
      await send("DELETE", `${base}/${segment.id}`);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      confirmError.textContent = err.message;
      confirmError.hidden = false;
      list.dataset.loaded = "true";
      return;
    }
    doomed = null;
    confirm.close();
    say(`Deleted “${segment.name}”.`);
    if (menu.open) await load();
    else menu.open = true; // back to the list (opening it reads it again), without the segment
  });

  // A click inside the menu stays there (menus.js closes a menu on a click outside it, and a redrawn
  // list has already let go of the button clicked).
  list.addEventListener("click", (e) => e.stopPropagation());

  menu.addEventListener("toggle", () => {
    if (!menu.open) {
      if (!confirm.open) say(""); // a message is for the menu it was shown in
      delete list.dataset.loaded;
      return;
    }
    renaming = null;
    delete list.dataset.loaded;
    render(); // at once, with what is known; then the list as it is now
    load();
  });
}
