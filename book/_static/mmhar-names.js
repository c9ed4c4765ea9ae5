// A long code name (normalize_skeleton_sequence(), right_hand_circle_counter_clockwise) has no
// space to break at, so where its box is narrow it either widens the box or breaks mid-word.
// This puts a break point (<wbr>) after each underscore, dot, slash and opening parenthesis that
// starts the name's next word, so that a line breaks between its words: in the right-hand
// "Contents", in the article's inline code, signatures and parameter types (a qualified name is
// wider than a phone's column: mmhar_lite.augment.imu_augmentation() broke as "imu_augmentati" /
// "on()"; a name that fits moves to the next line whole, mmhar.css), in the code of a definition
// table, and in the row names (first cells) of the article's tables, where mmhar.css lets a row
// name wrap (inside a solution's box; on a phone). A <wbr> is no character: copied text is
// unchanged, unlike a zero-width space. Checked by tests/test_browser.py (the contents,
// prose-table, phone-break and copied-text checks).
(function () {
  "use strict";
  // [where, which of its text]: in a table cell an inline literal stays whole (mmhar.css), and a
  // <wbr> would break it even there, so a row name's breaks go only into its plain text
  const PLACES = [
    ["#pst-page-toc-nav code", () => true],
    ["article code.literal", (text) => !text.parentElement.closest("td, th")],
    // a parameter (threads_per_job: int) breaks at its spaces only: a break inside its name
    // ("threads_per_" / "job") reads as two parameters
    ["article dt.sig", (text) => !text.parentElement.closest("em.sig-param")],
    // a parameter's type (torch.nn.modules.container.ModuleDict) is text, not code
    ["article dl.field-list > dd em", () => true],
    ["article table.mmhar-prose-table td:not(:first-child) code.literal", () => true],
    ["article table.table td:first-child", (text) => !text.parentElement.closest("code")],
  ];
  // not after the dot of a number (0.8): only before a letter
  const BREAK = /(?<=[_./(])(?=[A-Za-z])/;

  function breakNames() {
    for (const [where, which] of PLACES) for (const el of document.querySelectorAll(where)) {
      const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
      const texts = [];
      while (walker.nextNode()) if (which(walker.currentNode)) texts.push(walker.currentNode);
      for (const text of texts) {
        const parts = text.data.split(BREAK);
        if (parts.length < 2) continue;
        const frag = document.createDocumentFragment();
        parts.forEach((part, i) => {
          if (i) frag.append(document.createElement("wbr"));
          frag.append(part);
        });
        text.replaceWith(frag);
      }
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", breakNames);
  else breakNames();
})();
