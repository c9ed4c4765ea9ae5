// Loaded between RequireJS and the ipywidgets embed manager, on pages with widgets only
// (nb_ipywidgets_js in _config.yml); two fixes for the embed manager in a static page.
(function () {
  // 1. Each AMD module bundled in embed-amd.js ("@jupyter-widgets/base", "@jupyter-widgets/
  // controls", ..., "@jupyter-widgets/html-manager/dist/libembed-amd") loads its fonts from
  // the folder that RequireJS maps its name to, by default relative to the page
  // (notebooks/@jupyter-widgets/...: 404). Map both name prefixes onto the site's vendored
  // copy of html-manager/dist, which holds the fonts; the longer prefix wins for libembed-amd.
  const dist = new URL("vendor/html-manager", document.currentScript.src).href;
  require.config({
    paths: { "@jupyter-widgets": dist, "@jupyter-widgets/html-manager/dist": dist },
  });

  // 2. The widgets typeset their labels with the MathJax 2 call
  // MathJax.Hub.Queue(["Typeset", MathJax.Hub, element]) whenever window.MathJax exists; the
  // site runs MathJax 3, which has no Hub (a page error). Provide that one call on top of
  // MathJax 3, waiting for MathJax to finish loading (its script is deferred, and on loading
  // it replaces window.MathJax, the configuration object, by itself: hence the ready hook).
  let loaded;
  const ready = new Promise((resolve) => { loaded = resolve; });
  const hub = {
    Queue: (job) => ready.then(() => window.MathJax.typesetPromise([job[2]])),
  };
  const config = window.MathJax || (window.MathJax = {});
  config.Hub = hub;
  config.startup = {
    ...config.startup,
    ready() {
      window.MathJax.startup.defaultReady();
      window.MathJax.Hub = hub;
      loaded();
    },
  };
})();
