// Face enrolment reviews: both crops side by side, both attendees masked, approve or reject.
(function () {
  "use strict";
  const C = window.SummitConsole;
  const S = window.Summit;
  const W = {
    newPhoto: ["新登记的照片", "New enrolment photo"],
    otherPhoto: ["已登记的相似人员", "Already enrolled look-alike"],
    noPhoto: ["未保存照片", "No photo kept"],
    approve: ["两个人：批准登记", "Two people: approve"],
    reject: ["同一个人：拒绝", "Same person: reject"],
    reason: ["理由（可选）", "Reason (optional)"],
    distance: ["相似距离 {0}", "Distance {0}"],
    done: ["已处理", "Decided"],
    review_decided: ["此复核已由他人处理", "Someone already decided this review"],
    engine_changed: ["识别引擎已更换：请重新登记照片", "The face engine changed: enrol the photo again"],
    review_not_found: ["此复核不存在", "This review no longer exists"],
  };
  const t = (k, ...a) => S.t(W[k], ...a);

  function person(label, who, src) {
    const fig = C.el("figure");
    const img = document.createElement("img");
    img.alt = t(label);
    img.width = 160;
    img.src = src;
    img.addEventListener("error", () => { img.replaceWith(C.el("span", t("noPhoto"))); });
    fig.appendChild(img);
    const cap = C.el("figcaption", t(label) + (who ? ": " + who.name + " (" + who.ref + ")" : ""));
    fig.appendChild(cap);
    return fig;
  }

  function item(r) {
    const li = C.el("li");
    li.dataset.review = r.id;
    li.appendChild(person("newPhoto", r.attendee, `/api/face-reviews/${r.id}/photo/new`));
    li.appendChild(person("otherPhoto", r.other_attendee, `/api/face-reviews/${r.id}/photo/other`));
    li.appendChild(C.el("p", t("distance", r.distance)));
    const reason = document.createElement("input");
    reason.maxLength = 300;
    reason.setAttribute("aria-label", t("reason"));
    reason.placeholder = t("reason");
    li.appendChild(reason);
    for (const [word, approve] of [["approve", true], ["reject", false]]) {
      const b = C.el("button", t(word));
      b.type = "button";
      b.dataset.decision = word;
      b.addEventListener("click", async () => {
        const err = document.getElementById("reviews-error");
        err.hidden = true;
        try {
          await C.api(`/api/face-reviews/${r.id}/decision`, {
            method: "POST", json: { approve: approve, reason: reason.value },
          });
          li.replaceChildren(C.el("p", t("done")));
        } catch (e) {
          err.textContent = W[e.error] ? t(e.error) : C.reason(e);
          err.hidden = false;
        }
      });
      li.appendChild(b);
    }
    return li;
  }

  async function load() {
    const data = await C.api("/api/face-reviews");
    const ul = document.getElementById("reviews");
    ul.replaceChildren(...data.reviews.map(item));
    document.getElementById("reviews-empty").hidden = data.reviews.length > 0;
  }

  C.boot();
  S.onChange(load);
  load().then(() => { document.body.dataset.ready = "1"; });
})();
