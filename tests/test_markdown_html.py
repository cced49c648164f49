"""The Markdown body as an HTML alternative: checked by parsing the HTML, not by grepping."""

from __future__ import annotations

from html.parser import HTMLParser

from mailtui.draft import Draft
from mailtui.markdown_html import markdown_to_html, with_markdown_alternative

BODY = (
    """\
Hello **team**,

* first point
* second point

1. one
2. two

See [the plan](https://example.com/plan) and `inline()`.

> quoted from Ann

```python
print("hi")
```

<script>alert(1)</script>

Best
"""
    + "-- \n"  # the separator's trailing space is the point
    + "John Doe\n"
)


VOID = {"meta", "br", "hr", "img"}


class Tree(HTMLParser):
    """Every element with its parents, attributes and the text directly inside it."""

    def __init__(self) -> None:
        super().__init__()
        self.open: list[int] = []  # indices into elements, innermost last
        self.elements: list[tuple[tuple[str, ...], str, dict[str, str | None]]] = []
        self.text: list[str] = []

    @property
    def stack(self) -> list[str]:
        return [self.elements[i][1] for i in self.open]

    def handle_starttag(self, tag, attrs):
        self.elements.append((tuple(self.stack), tag, dict(attrs)))
        self.text.append("")
        if tag not in VOID:
            self.open.append(len(self.elements) - 1)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, (self.stack, tag)
        self.open.pop()

    def handle_data(self, data):
        if self.open:
            self.text[self.open[-1]] += data

    def find(self, tag: str) -> list[tuple[tuple[str, ...], dict[str, str | None], str]]:
        return [
            (parents, attrs, self.text[i])
            for i, (parents, name, attrs) in enumerate(self.elements)
            if name == tag
        ]


def parse(html: str) -> Tree:
    tree = Tree()
    tree.feed(html)
    tree.close()
    assert tree.stack == [], "every element is closed"
    return tree


def test_the_html_is_a_complete_document_with_the_expected_elements():
    assert markdown_to_html(BODY, title="Plan").startswith("<!DOCTYPE html>")
    tree = parse(markdown_to_html(BODY, title="Plan"))
    assert [t for _, _, t in tree.find("title")] == ["Plan"]
    assert tree.find("meta")[0][1] == {"charset": "utf-8"}
    assert [t for _, _, t in tree.find("strong")] == ["team"]
    items = tree.find("li")
    assert [t for _, _, t in items] == ["first point", "second point", "one", "two"]
    assert [p[-1] for p, _, _ in items] == ["ul", "ul", "ol", "ol"]
    (link,) = tree.find("a")
    assert link[1] == {"href": "https://example.com/plan"} and link[2] == "the plan"
    (quote,) = tree.find("blockquote")
    assert [t for p, _, t in tree.find("p") if p[-1] == "blockquote"] == ["quoted from Ann"]
    assert quote[0] == ("html", "body")
    code_blocks = [(p, a, t) for p, a, t in tree.find("code") if p[-1] == "pre"]
    assert len(code_blocks) == 1
    assert code_blocks[0][1] == {"class": "language-python"}
    assert code_blocks[0][2] == 'print("hi")\n'
    assert [t for p, _, t in tree.find("code") if p[-1] == "p"] == ["inline()"]


def test_raw_html_in_the_body_stays_text():
    tree = parse(markdown_to_html(BODY))
    assert tree.find("script") == []
    assert any("<script>alert(1)</script>" in t for _, _, t in tree.find("p"))


def test_the_signature_is_not_turned_into_a_heading():
    tree = parse(markdown_to_html(BODY))
    assert tree.find("h2") == [] and tree.find("hr") == []
    (signature,) = [t for _, a, t in tree.find("div") if a.get("class") == "signature"]
    assert signature == "-- \nJohn Doe"


def test_line_breaks_typed_in_the_body_stay_line_breaks():
    tree = parse(markdown_to_html("line one\nline two\n"))
    assert len(tree.find("br")) == 1


def test_markdown_fills_the_html_part_only_when_on_and_never_replaces_given_html():
    draft = Draft(subject="S", body="*hi*")
    assert with_markdown_alternative(draft, False) == draft
    rendered = with_markdown_alternative(draft, True)
    assert rendered.body == "*hi*"
    assert [t for _, _, t in parse(rendered.html).find("em")] == ["hi"]
    given = draft._replace(html="<p>mine</p>")
    assert with_markdown_alternative(given, True) == given
