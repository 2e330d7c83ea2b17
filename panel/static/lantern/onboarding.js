// Onboarding, on the snippet page and an empty dashboard: a copy button for the snippet, and "waiting for
// the first pageview…", asked of the server every few seconds, which becomes a link to the dashboard
// when the first event has arrived. On the new-site form, the timezone starts as the browser's.
const POLL_MS = 3000;

for (const button of document.querySelectorAll("[data-copy]")) {
  button.hidden = false;
  button.addEventListener("click", async () => {
    const text = document.getElementById(button.dataset.copy).textContent;
    let copied = false;
    try {
      await navigator.clipboard.writeText(text);
      copied = true;
    } catch {
      // no clipboard API (a page over plain http): select the text for a manual copy
      const range = document.createRange();
      range.selectNodeContents(document.getElementById(button.dataset.copy));
      const selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
    }
    button.textContent = copied ? "Copied" : "Selected: press Ctrl+C";
    setTimeout(() => { button.textContent = "Copy"; }, 2500);
  });
}

for (const waiting of document.querySelectorAll("[data-waiting]")) {
  const check = async () => {
    try {
      const response = await fetch(waiting.dataset.waiting, { headers: { Accept: "application/json" } });
      if (response.ok && (await response.json()).received) {
        waiting.classList.add("received");
        waiting.querySelector(".waiting-text").textContent = "Your first pageview has arrived.";
        waiting.querySelector(".waiting-link").hidden = false;
        return;
      }
    } catch {
      // offline for a moment: ask again
    }
    setTimeout(check, POLL_MS);
  };
  setTimeout(check, POLL_MS);
}

for (const select of document.querySelectorAll("select[data-browser-timezone]")) {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (zone && [...select.options].some((option) => option.value === zone)) select.value = zone;
}
