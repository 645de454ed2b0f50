"""Labels fit their boxes, in Thai, on a 360 px phone and a 1366 px desktop.

The main pages of the demo (inbox, project list, a project's page, the bank to select from, the
dashboard) are opened by the people who use them; in each, JavaScript measures every button,
label, table header, navigation item, badge and chart label: no text is clipped by its box
(``overflow: hidden`` or an ellipsis), no button that fits on one line on this screen wraps, no
chart label is shortened, and the page itself never scrolls sideways (only the tables' and the
charts' own scroll boxes may).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.test import override_settings

from tests.browser.conftest import login
from workflow.models import BankEntry, Project, State

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = {"phone": {"width": 360, "height": 800}, "desktop": {"width": 1366, "height": 768}}

# What does not fit, as a list of "what: why" lines (empty when everything fits).
MEASURE = r"""
() => {
  const problems = [];
  const viewport = document.documentElement.clientWidth;
  const describe = (el) => {
    const text = (el.innerText || el.textContent || "").trim().replace(/\s+/g, " ").slice(0, 60);
    const id = el.id ? "#" + el.id : "";
    const cls = typeof el.className === "string" && el.className ? "." + el.className.trim().split(/\s+/).join(".") : "";
    return `${el.tagName.toLowerCase()}${id}${cls} «${text}»`;
  };
  const shown = (el) => {
    if (el.closest(".visually-hidden, [hidden], details:not([open]) > :not(summary)")) return false;
    const box = el.getBoundingClientRect();
    return box.width > 0 && box.height > 0;
  };
  const scrollBox = (el) => {
    for (let node = el.parentElement; node && node !== document.body; node = node.parentElement) {
      const overflow = getComputedStyle(node).overflowX;
      if ((overflow === "auto" || overflow === "scroll") && node.scrollWidth > node.clientWidth) return node;
    }
    return null;
  };
  const selector = "button, .button, label, th, nav a, .badge, .tile-label, summary, legend, dt";
  for (const el of document.querySelectorAll(selector)) {
    if (!shown(el)) continue;
    const style = getComputedStyle(el);
    const clips = ["hidden", "clip"].includes(style.overflowX) || style.textOverflow === "ellipsis";
    if (clips && el.scrollWidth > el.clientWidth + 1) {
      problems.push(`${describe(el)}: text clipped (${el.scrollWidth} > ${el.clientWidth} px)`);
    }
    if (el.matches("button, .button") && style.display !== "inline") {
      // Wrapped: its text takes more than one line although one line of it fits on this screen.
      const line = parseFloat(style.lineHeight) || parseFloat(style.fontSize) * 1.55;
      const inner = el.clientHeight - parseFloat(style.paddingTop) - parseFloat(style.paddingBottom);
      const saved = el.style.whiteSpace;
      el.style.whiteSpace = "nowrap";
      const oneLine = el.scrollWidth;
      el.style.whiteSpace = saved;
      if (inner > line * 1.5 && oneLine <= viewport - 32) {
        problems.push(`${describe(el)}: wraps (${Math.round(inner)} px high, one line is ${oneLine} px)`);
      }
    }
    if (!scrollBox(el)) {
      const box = el.getBoundingClientRect();
      if (box.right > viewport + 1 || box.left < -1) {
        problems.push(`${describe(el)}: outside the screen (${Math.round(box.left)}–${Math.round(box.right)} px)`);
      }
    }
  }
  // Chart labels are never shortened, and each stays inside its chart.
  for (const text of document.querySelectorAll("svg.chart text")) {
    const content = text.textContent || "";
    if (content.endsWith("…")) problems.push(`chart label «${content}»: shortened`);
    const box = text.getBBox();
    if (box.x < -1) problems.push(`chart label «${content}»: cut at the chart's left edge`);
  }
  if (document.documentElement.scrollWidth > viewport + 1) {
    const wide = [...document.querySelectorAll("body *")]
      .filter((el) => shown(el) && !scrollBox(el) && el.getBoundingClientRect().right > viewport + 1)
      .slice(0, 5).map(describe);
    problems.push(`the page scrolls sideways (${document.documentElement.scrollWidth} > ${viewport} px): ${wide.join("; ")}`);
  }
  return problems;
}
"""


@pytest.fixture
def demo(tmp_path: Any) -> dict[str, Project]:
    from workflow.demo.seed import demo_seed

    with override_settings(THAI_ADMIN_DATA_DIR=tmp_path / "absent"):
        demo_seed()
    # Bank entries as district offices write them: long titles and descriptions squeeze the
    # table's last column, where the "select" button is.
    for number in range(3):
        BankEntry.objects.create(
            code=f"TPB-500101-L{number}",
            subdistrict_id="500101",
            title="โครงการส่งเสริมการมีส่วนร่วมของประชาชนในการพัฒนาคุณภาพชีวิตและสิ่งแวดล้อมของชุมชนอย่างยั่งยืน",
            description="ส่งเสริมให้ประชาชนในตำบลรวมกลุ่มจัดทำแผนพัฒนาหมู่บ้าน คัดแยกขยะ ปลูกป่าชุมชน "
            "และจัดตั้งกองทุนหมุนเวียนเพื่อการประกอบอาชีพ โดยมีหน่วยงานในพื้นที่ให้คำปรึกษาอย่างต่อเนื่อง",
            dimension="administration",
            estimated_budget=Decimal("45000"),
        )
    return {p.state: p for p in Project.objects.filter(district_id="5001")}


def _pages(projects: dict[str, Project]) -> list[tuple[str, list[str]]]:
    """Who opens which pages: the district's officer and chief, the central planner."""
    return [
        (
            "officer",
            [
                "/inbox/",
                "/projects/",
                f"/projects/{projects[State.APPROVED].pk}/",
                "/select/",
                "/select/?q=การมีส่วนร่วม",
            ],
        ),
        ("chief", ["/inbox/", f"/projects/{projects[State.SELECTED].pk}/"]),
        ("inspector", [f"/projects/{projects[State.IMPLEMENTED].pk}/"]),
        ("planner", ["/dashboard/"]),
    ]


@pytest.mark.parametrize("size", sorted(SIZES))
def test_labels_fit_their_boxes_in_thai(size, new_page, demo):
    problems: list[str] = []
    for username, urls in _pages(demo):
        page = new_page(locale="th-TH", viewport=SIZES[size], is_mobile=size == "phone")
        login(page, username, "rolemodel-demo")
        for url in urls:
            page.goto(url)
            assert page.locator("html").get_attribute("lang") == "th"
            # The numbers under each chart are part of the page too.
            page.evaluate(
                "() => document.querySelectorAll('details.numbers').forEach((d) => (d.open = true))"
            )
            problems += [f"{url} ({username}): {problem}" for problem in page.evaluate(MEASURE)]
    assert not problems, "\n".join(problems)
