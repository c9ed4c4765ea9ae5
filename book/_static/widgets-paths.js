// Loaded between RequireJS and the ipywidgets embed manager, on pages with widgets only
// (nb_ipywidgets_js in _config.yml). Each AMD module bundled in embed-amd.js
// ("@jupyter-widgets/base", "@jupyter-widgets/controls", ...,
// "@jupyter-widgets/html-manager/dist/libembed-amd") loads its fonts from the folder that
// RequireJS maps its name to, by default relative to the page (notebooks/@jupyter-widgets/...:
// 404). Map both name prefixes onto the site's vendored copy of html-manager/dist, which
// holds the fonts; the longer prefix wins for libembed-amd.
(function () {
  const dist = new URL("vendor/html-manager", document.currentScript.src).href;
  require.config({
    paths: { "@jupyter-widgets": dist, "@jupyter-widgets/html-manager/dist": dist },
  });
})();
