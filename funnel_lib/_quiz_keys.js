// Small Yeses: make each quiz question a real keyboard radio group, in JupyterLab as in Voila.
// Loaded by funnel_lib.quiz through anywidget; nothing is fetched from the network.
//  - the options of one question share a `name`, so the arrow keys move the answer;
//  - the group has role="radiogroup" and is named by its question;
//  - data-lm-suppress-shortcuts, and stopping the arrow keys' propagation at the group, keep
//    JupyterLab's notebook shortcuts (ArrowDown = next cell) from taking them away.
const ARROWS = new Set(["ArrowUp", "ArrowDown", "ArrowLeft", "ArrowRight"]);
let counter = 0;
const uid = (prefix) => `${prefix}-${Date.now().toString(36)}-${(counter++).toString(36)}`;

function fix(root) {
  root.querySelectorAll(".funnel-quiz-choice").forEach((group, index) => {
    if (group.getAttribute("data-lm-suppress-shortcuts") !== "true") {
      group.setAttribute("data-lm-suppress-shortcuts", "true");
      // the notebook's own key handling must not see the arrow keys either; the browser's
      // radio-group behaviour (its default action) still happens
      group.addEventListener("keydown", (event) => {
        if (ARROWS.has(event.key)) event.stopPropagation();
      });
    }
    const box = group.querySelector(".widget-radio-box") || group;
    if (box.getAttribute("role") !== "radiogroup") box.setAttribute("role", "radiogroup");
    const prompt = root.querySelectorAll(".funnel-quiz-prompt")[index];
    if (prompt) {
      if (!prompt.id) prompt.id = uid("funnel-quiz-prompt");
      if (box.getAttribute("aria-labelledby") !== prompt.id) box.setAttribute("aria-labelledby", prompt.id);
    }
    if (!group.dataset.funnelQuizName) group.dataset.funnelQuizName = uid("funnel-quiz");
    group.querySelectorAll("input[type=radio]").forEach((input) => {
      if (input.name !== group.dataset.funnelQuizName) input.name = group.dataset.funnelQuizName;
    });
  });
}

export default {
  render({ el }) {
    el.style.display = "none";
    let observer = null;
    let tries = 0;
    let timer = null;
    const attach = () => {
      const root = el.closest(".funnel-quiz");
      if (root) {
        fix(root);
        observer = new MutationObserver(() => fix(root));
        observer.observe(root, { childList: true, subtree: true });
      } else if (tries++ < 200) {
        timer = setTimeout(attach, 50);
      }
    };
    attach();
    return () => {
      if (timer) clearTimeout(timer);
      if (observer) observer.disconnect();
    };
  },
};
