// Applies the theme chosen with the dashboard's toggle (remembered in localStorage) before the page
// paints; without a choice the page follows the system's light or dark setting.
try {
  const theme = localStorage.getItem("lantern-theme");
  if (theme === "dark" || theme === "light") document.documentElement.dataset.theme = theme;
} catch (err) {
  // storage refused: follow the system
}
