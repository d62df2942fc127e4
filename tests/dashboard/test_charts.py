"""SVG charts print their values and labels, and escape what operators typed."""

from bs4 import BeautifulSoup

from newsletter.charts import Series, bars, columns, nice_max, number


def parse(svg: str) -> BeautifulSoup:
    return BeautifulSoup(svg, "html.parser")


def test_it_prints_every_value_and_label_of_grouped_columns():
    svg = parse(columns(["1 Nov", "2 Nov"], [Series("sent", "s-sent", [12, 0]), Series("failed", "s-failed", [3, 1])],
                        title="Digests", y_label="digests per day"))  # fmt: skip
    assert [t.get_text() for t in svg.select("text.value")] == ["12", "3", "0", "1"]
    labels = [t.get_text() for t in svg.select("text")]
    assert "1 Nov" in labels and "2 Nov" in labels and "digests per day" in labels
    assert "sent" in labels and "failed" in labels  # the legend


def test_it_prints_totals_above_stacked_columns_and_values_inside_tall_segments():
    svg = parse(columns(["W1", "W2"], [Series("active", "s-active", [80, 90]), Series("pending", "s-pending", [20, 1])],
                        title="Subscribers", y_label="subscribers", stacked=True))  # fmt: skip
    assert [t.get_text() for t in svg.select("text.value")] == ["100", "91"]
    assert [t.get_text() for t in svg.select("text.inside")] == ["80", "20", "90"]  # 1 is too thin to hold its label


def test_it_escapes_labels_and_titles():
    svg = str(bars(['<img src=x onerror="alert(1)">'], [Series("followers", "s-active", [2])], title="A & <b>"))
    assert "<img" not in svg and "<b>" not in svg
    assert "&lt;img" in svg and "A &amp; &lt;b&gt;" in svg


def test_it_prints_notes_after_horizontal_bars():
    svg = parse(bars(["LLM", "RL"], [Series("papers", "s-papers", [5, 2])], title="Coverage", notes=["", "3 short"]))
    assert [t.get_text() for t in svg.select("text.value")] == ["5", "2"]
    assert [t.get_text() for t in svg.select("text.note")] == ["3 short"]


def test_it_rounds_axes_up_and_shortens_large_numbers():
    assert [nice_max(v) for v in (0, 1, 3, 7, 12, 99_000)] == [1, 1, 5, 10, 20, 100_000]
    assert [number(v) for v in (7, 12_345, 250_000)] == ["7", "12,345", "250k"]
