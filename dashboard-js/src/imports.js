// The note under the top stats on a site with imported history: whether it is in the numbers, and why
// not when it is left out (the Stats API's warning: filters of another family, hours or minutes).

/**
 * The note's text, or null when there is nothing to say (no import, or none of it in the range).
 * ``imported`` is [first, last] (days), ``range`` the view's {first, last}.
 */
export function importsNote(imported, range, on, realtime, warning) {
  if (imported.length !== 2 || realtime) return null;
  const [first, last] = imported;
  if (range.last < first || range.first > last) return null;
  const span = `${first} to ${last}`;
  if (!on) return `Imported data (${span}) is left out: switch “Imported data” on to add it.`;
  if (warning) return `Imported data (${span}) is left out of this view: ${warning.replace(/^Imported stats are not included( in the results)? because /, "").replace(/\.$/, "")}.`;
  return `Includes imported data (${span}).`;
}
