"""Thai words the report book never breaks across lines.

Chromium breaks Thai lines with ICU's dictionary (the page is ``lang="th"``). The dictionary
does not know some words of these books and cuts them where no Thai reader would:
``บูรณ|าการ`` or ``บูรณา|การ`` (the contents of every book: "การพัฒนาตำบลแบบบูรณาการ"),
``อัต|ลักษณ์``, ``ธร|รมาภิ|บาล``. Others it splits into the words they are made of
(``ผู้ใหญ่|บ้าน``, ``ขับ|เคลื่อน``), which is allowed but reads badly in a heading or a title.
In the printed page each of these words is wrapped in ``<span class="nobr">`` (``white-space:
nowrap`` in book_layout.css); the text layer is unchanged (a span draws nothing).
"""

from __future__ import annotations

import re

# Longest first, so that a word inside a longer one never wins over it.
KEEP_WHOLE = tuple(
    sorted(
        {
            # cut inside a word by the dictionary
            "บูรณาการ",
            "อัตลักษณ์",
            "ธรรมาภิบาล",
            # compounds of the programme that read as one word
            "ผลสัมฤทธิ์",
            "ขับเคลื่อน",
            "สิ่งแวดล้อม",
            "ท้องถิ่น",
            "ผู้ใหญ่บ้าน",
            "ข้อเสนอแนะ",
            "ฝึกอบรม",
            "ครัวเรือน",
            "งบประมาณ",
            "ท่องเที่ยว",
            "อาสาสมัคร",
            "ผู้สูงอายุ",
        },
        key=len,
        reverse=True,
    )
)

_WORDS = re.compile("|".join(re.escape(word) for word in KEEP_WHOLE))
# Text between two tags: never inside a tag (attribute values stay as they are).
_TEXT_NODE = re.compile(r">([^<]+)<")
_SKIP = re.compile(r"<(title|style|script)\b[^>]*>.*?</\1>", re.S | re.I)


def keep_words_whole(html: str) -> str:
    """``html`` with every word of ``KEEP_WHOLE`` in its body's text wrapped in a nowrap span."""
    head, sep, body = html.partition("<body")
    if not sep:
        return html
    kept: list[str] = []

    def hide(match: re.Match[str]) -> str:
        kept.append(match.group(0))
        return f"\0{len(kept) - 1}\0"

    body = _SKIP.sub(hide, body)
    body = _TEXT_NODE.sub(
        lambda m: ">" + _WORDS.sub(lambda w: f'<span class="nobr">{w.group(0)}</span>', m.group(1)) + "<",
        body,
    )
    body = re.sub("\0(\\d+)\0", lambda m: kept[int(m.group(1))], body)
    return head + sep + body
