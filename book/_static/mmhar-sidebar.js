// The chapter list keeps the book's title in view. On load the theme scrolls the chapter list
// so that the current chapter sits 20 % from its top whenever that chapter is in the lower half;
// on a list only a little taller than the window this scrolled the title's first lines out of
// sight under the window's top edge although the current chapter was visible anyway. Here the
// list goes back to its top whenever the current chapter is in view from there. Checked by
// tests/test_browser.py (test_sidebar_title_in_view).
(function () {
  "use strict";
  function unscroll() {
    const sidebar = document.querySelector(".bd-sidebar-primary");
    const current = sidebar && sidebar.querySelector("a.current, li.active > a");
    if (!current || sidebar.scrollTop === 0) return;
    const bottom = current.getBoundingClientRect().bottom - sidebar.getBoundingClientRect().top;
    if (bottom + sidebar.scrollTop <= sidebar.clientHeight) sidebar.scrollTop = 0;
  }
  // after the theme's own scroll, which runs when the document is loaded
  window.addEventListener("load", () => window.setTimeout(unscroll, 0));
})();
