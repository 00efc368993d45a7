/* Progressive enhancement only: the search page works fully without this file (links and forms reload it).

   With it, a change of filter, sort or page fetches the results page for the new state's URL (the same stable
   URL as without the script), swaps the #search-app region in, pushes the URL into the history, puts the focus
   back where it was and announces the new count in a live region that lives outside the swapped region.
   Ticking a facet box updates at once (a hint says so, WCAG 3.2.2). Dates wait for « Appliquer les filtres »:
   a half-typed date must not reload the results. The sort select keeps its button: updating on change would
   reload at each arrow key for keyboard users. Anything unexpected falls back to an ordinary page load. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  var app = document.getElementById("search-app");
  var announce = document.getElementById("search-announce");
  if (!app || !window.fetch || !window.DOMParser || !window.history || !history.pushState) {
    return;
  }
  var wide = window.matchMedia ? window.matchMedia("(min-width: 48.01rem)") : null;

  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  // A box that narrows a long facet list (centres, departments, QPV) as one types; the « Voir plus » part opens
  // while a filter is typed so that every match shows.
  function addFacetFilter(fieldset) {
    if (fieldset.querySelector(".facet-filter")) {
      return;
    }
    var id = fieldset.id + "-filtre";
    var label = document.createElement("label");
    label.className = "facet-filter-label";
    label.setAttribute("for", id);
    label.textContent = "Filtrer la liste (" + fieldset.getAttribute("data-filterable") + ")";
    var input = document.createElement("input");
    input.type = "search";
    input.id = id;
    input.className = "facet-filter";
    input.setAttribute("autocomplete", "off");
    // Not a search parameter: keep it out of the form's submission.
    input.setAttribute("form", "no-such-form");
    var legend = fieldset.querySelector("legend");
    legend.insertAdjacentElement("afterend", label);
    label.insertAdjacentElement("afterend", input);
    input.addEventListener("input", function () {
      var wanted = fold(input.value.trim());
      Array.prototype.forEach.call(fieldset.querySelectorAll(".facet-item"), function (item) {
        item.hidden = wanted !== "" && fold(item.textContent).indexOf(wanted) === -1;
      });
      var more = fieldset.querySelector(".facet-more");
      if (more && wanted !== "") {
        more.open = true;
      }
    });
  }

  function enhance(filtersOpen) {
    var filters = document.getElementById("filtres");
    if (filters && (filtersOpen || (wide && wide.matches))) {
      filters.open = true;
    }
    Array.prototype.forEach.call(document.querySelectorAll("[data-filterable]"), addFacetFilter);
  }
  enhance(false);
  if (wide && wide.addEventListener) {
    wide.addEventListener("change", function () { enhance(false); });
  }

  var pending = null;
  // The state on screen: a popstate for a fragment (the skip link, « Aller aux résultats ») changes nothing.
  var shown = window.location.pathname + window.location.search;

  function urlOfForm(form) {
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, name) {
      if (value !== "") {
        params.append(name, value);
      }
    });
    var query = params.toString();
    return form.getAttribute("action") + (query ? "?" + query : "");
  }

  function load(url, focus, push) {
    if (pending) {
      pending.abort();
    }
    var controller = window.AbortController ? new AbortController() : null;
    pending = controller;
    app.setAttribute("aria-busy", "true");
    return fetch(url, {
      headers: { "Accept": "text/html" },
      credentials: "same-origin",
      signal: controller ? controller.signal : undefined
    }).then(function (response) {
      if (!response.ok) {
        throw new Error("HTTP " + response.status);
      }
      return response.text();
    }).then(function (html) {
      var doc = new DOMParser().parseFromString(html, "text/html");
      var fresh = doc.getElementById("search-app");
      if (!fresh) {
        throw new Error("no #search-app in the answer");
      }
      var filters = document.getElementById("filtres");
      var filtersOpen = filters && filters.open;
      app.replaceWith(fresh);
      app = fresh;
      enhance(filtersOpen);
      document.title = doc.title;
      swapHeadLinks(doc);
      if (push) {
        history.pushState({ search: true }, "", fresh.getAttribute("data-url") || url);
      }
      shown = window.location.pathname + window.location.search;
      restoreFocus(focus);
      var count = document.getElementById("results-count");
      if (announce && count) {
        announce.textContent = count.textContent.replace(/\s+/g, " ").trim();
      }
      pending = null;
    }).catch(function (error) {
      if (error && error.name === "AbortError") {
        return;
      }
      window.location.assign(url);
    });
  }

  // The prev/next and alternate links of <head> describe the state: keep them in step with the results.
  function swapHeadLinks(doc) {
    var selector = 'link[rel="prev"], link[rel="next"], link[rel="alternate"]';
    Array.prototype.forEach.call(document.head.querySelectorAll(selector), function (link) {
      link.remove();
    });
    Array.prototype.forEach.call(doc.head.querySelectorAll(selector), function (link) {
      document.head.appendChild(document.importNode(link, true));
    });
  }

  function restoreFocus(focus) {
    var target = focus && focus.id ? document.getElementById(focus.id) : null;
    if (!target && focus && focus.fallback) {
      target = document.getElementById(focus.fallback);
    }
    if (target) {
      target.focus({ preventScroll: !focus.scroll });
      if (focus.scroll) {
        target.scrollIntoView({ block: "start" });
      }
    }
  }

  // A box that disappears (its value fell to 0) hands the focus to its facet's group, then to the results.
  function facetFocus(element) {
    var group = element.closest("fieldset");
    return { id: element.id, fallback: group && group.id ? group.id : "resultats" };
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (!app.contains(target) || target.type !== "checkbox" || !target.form || target.form.id !== "facet-form") {
      return;
    }
    load(urlOfForm(target.form), facetFocus(target), true);
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!app.contains(form) || (form.method || "get").toLowerCase() !== "get") {
      return;
    }
    event.preventDefault();
    var focus = form.id === "sort-form" ? { id: "sort" } : { id: "resultats", scroll: true };
    if (form.id === "search-form") {
      focus = { id: "q" };
    }
    load(urlOfForm(form), focus, true);
  });

  document.addEventListener("click", function (event) {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey ||
        event.altKey) {
      return;  // a new tab or window gets the ordinary page
    }
    var link = event.target.closest("a");
    if (!link || !app.contains(link) || link.origin !== window.location.origin ||
        link.pathname !== window.location.pathname) {
      return;
    }
    var focus = null;
    if (link.classList.contains("facet-link")) {
      var box = document.getElementById(link.closest("label").htmlFor);
      focus = box ? facetFocus(box) : { id: "resultats" };
    } else if (link.closest(".pagination")) {
      focus = { id: "resultats", scroll: true };
    } else if (link.classList.contains("chip") || link.classList.contains("chip-clear") ||
               link.classList.contains("suggestion-link")) {
      focus = { id: "resultats" };
    } else {
      return;
    }
    event.preventDefault();
    load(link.getAttribute("href"), focus, true);
  });

  window.addEventListener("popstate", function () {
    var url = window.location.pathname + window.location.search;
    if (url !== shown) {
      load(url, { id: "resultats" }, false);
    }
  });
})();
