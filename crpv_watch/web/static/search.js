/* Progressive enhancement only: the search page works fully without this file.
   ticking a facet box submits the filter form at once (a hint says so, WCAG 3.2.2). The sort select keeps its
   button: submitting on change would reload the page at each arrow key for keyboard users. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  var facetForm = document.getElementById("facet-form");
  if (facetForm) {
    facetForm.addEventListener("change", function (event) {
      var target = event.target;
      // Dates are left to the « Appliquer » button: a half-typed date must not reload the page.
      if (target && target.type === "checkbox") {
        facetForm.submit();
      }
    });
  }
})();
