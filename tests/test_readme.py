"""The READMEs render as written in a CommonMark viewer: no code block swallows the prose."""

import pytest
from markdown_it import MarkdownIt

from tests.support import PROJECT_ROOT


@pytest.mark.parametrize("path", ["README.md", "integrations/ai_admin_v2/README.md"])
def test_no_code_block_runs_on_past_its_closing_fence(path):
    tokens = MarkdownIt("commonmark").parse((PROJECT_ROOT / path).read_text(encoding="utf-8"))

    # A fence closed mid-line (text after ```) leaves the block open: the next fence's ``` and
    # the prose between land inside it, and the rest of the page renders as code.
    swallowed = [t.map for t in tokens if t.type == "fence" and "```" in t.content]
    stray = [t.map for t in tokens if t.type == "inline" and "```" in t.content]
    assert swallowed == [] and stray == []
    assert any(t.type == "heading_open" for t in tokens)
