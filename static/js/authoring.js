/* Authoring helpers, progressive enhancement only (the forms work the same without them):
   - a Markdown toolbar above lesson text areas: the buttons are in the page, hidden, and shown
     here; each one writes the Markdown a trainer would type, so the textarea stays the truth;
   - the course form shows the title and description fields of the ticked languages only. */
(function () {
  "use strict";

  function lineStart(text, index) { return text.lastIndexOf("\n", index - 1) + 1; }

  function replace(area, start, end, text, selectFrom, selectTo) {
    area.focus();
    area.setRangeText(text, start, end, "end");
    if (selectFrom !== undefined) { area.setSelectionRange(start + selectFrom, start + selectTo); }
    area.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function prefixLines(area, prefixOf) {
    var value = area.value, start = lineStart(value, area.selectionStart), end = area.selectionEnd;
    var lines = value.slice(start, end).split("\n");
    replace(area, start, end, lines.map(function (line, i) { return prefixOf(i) + line; }).join("\n"));
  }

  var actions = {
    heading: function (area) { prefixLines(area, function () { return "## "; }); },
    bold: function (area, bar) {
      var s = area.selectionStart, e = area.selectionEnd, chosen = area.value.slice(s, e) || bar.dataset.mdBold;
      replace(area, s, e, "**" + chosen + "**", 2, 2 + chosen.length);
    },
    bullets: function (area) { prefixLines(area, function () { return "- "; }); },
    numbers: function (area) { prefixLines(area, function (i) { return (i + 1) + ". "; }); },
    link: function (area, bar) {
      var s = area.selectionStart, e = area.selectionEnd, label = area.value.slice(s, e) || bar.dataset.mdLink;
      var text = "[" + label + "](https://)";
      replace(area, s, e, text, label.length + 3, text.length - 1);  // the address is selected, ready to type
    },
    box: function (area, bar) {
      var s = area.selectionStart, before = s > 0 && area.value[s - 1] !== "\n" ? "\n\n" : "";
      var title = bar.dataset.mdBox, text = before + "> **" + title + "**\n> - ";
      replace(area, s, area.selectionEnd, text + "\n\n", text.length, text.length);  // a blank line ends the box
    },
    picture: function (area, bar) {  // pictures are uploaded (and cleaned) by the form below the text
      var upload = document.getElementById(bar.dataset.mdPicture);
      if (upload) { upload.scrollIntoView(); upload.focus(); }
    }
  };

  document.querySelectorAll("[data-md-toolbar]").forEach(function (bar) {
    var area = document.getElementById(bar.getAttribute("data-md-toolbar"));
    if (!area || typeof area.setRangeText !== "function") { return; }
    bar.hidden = false;
    bar.addEventListener("click", function (event) {
      var button = event.target.closest("button[data-md]");
      if (button) { event.preventDefault(); actions[button.getAttribute("data-md")](area, bar); }
    });
  });

  var languages = document.querySelectorAll("input[name=languages]");
  function showTicked() {
    languages.forEach(function (box) {
      var block = document.querySelector("[data-lang-block=" + box.value + "]");
      if (block) { block.hidden = !box.checked; }
    });
  }
  if (document.querySelector("[data-lang-block]")) {
    languages.forEach(function (box) { box.addEventListener("change", showTicked); });
    showTicked();
  }
})();
