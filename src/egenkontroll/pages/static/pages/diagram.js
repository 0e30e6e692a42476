/* Draws every chart on the page from its JSON (a <script type="application/json"> written by
   the server) with the vendored Plotly. No inline script: the Content-Security-Policy allows
   scripts from /static/ only. Without JavaScript the table under each chart still has the data. */
(function () {
  "use strict";
  function draw() {
    if (typeof window.Plotly === "undefined") { return; }
    document.querySelectorAll("[data-figure]").forEach(function (el) {
      var source = document.getElementById(el.getAttribute("data-figure"));
      if (!source) { return; }
      var figure = JSON.parse(source.textContent);
      window.Plotly.newPlot(el, figure.data, figure.layout, {
        locale: "sv",  /* pages/vendor/plotly-locale-sv.js: Swedish month and day names */
        responsive: true,
        displaylogo: false,
        modeBarButtonsToRemove: ["select2d", "lasso2d", "sendDataToCloud"]
      });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
}());
