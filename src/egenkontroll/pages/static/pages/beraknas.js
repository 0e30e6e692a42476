// The "räknas fram" page (pages/pending.py): ask again after a moment, as the link does.
(function () {
  var again = document.getElementById("berakning-igen");
  if (!again) return;
  var seconds = parseFloat(again.getAttribute("data-sekunder")) || 2;
  window.setTimeout(function () { window.location.replace(again.href); }, seconds * 1000);
})();
